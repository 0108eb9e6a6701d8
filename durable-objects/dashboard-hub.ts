// DashboardHub: one object per event, the staff side of its live feed (API.md "Live updates") and the
// event's registry of HubShards. Hold changes no longer come here: listing objects and the orders
// consumer push them to the event's K feed inputs (FeedInput, split by listing id; docs/LIVE.md
// "Scale"), which forward their coalesced batches to every shard (buyer sockets) and to this hub, a
// subscriber like a shard (feed-copy.ts): it keeps a copy of the listings and of each input's counters
// and sends staff sockets (who connect with a live ticket) at most one frame per flush interval.
//
// What stays here: staff sockets and their one-time live tickets, the staff stats beat (counters summed
// over the inputs, claim counts, rejections, buyers online), the claim counts the shards pass on, and
// the shard registry through which whatever must reach every buyer (a revoked session, buyerLiveOff, an
// announcement) reaches every shard. State lives in SQLite, so hibernation and eviction lose nothing.
import { DurableObject } from "cloudflare:workers";
import type {
	Announcement,
	AnnouncementFrame,
	ListingState,
	SnapshotFrame,
	StaffStats,
	StatsFrame,
} from "../client/live-frames";
import type { HoldChange } from "../lib/hold-record";
import { feedInputOf, hubShardOf } from "./addresses";
import { FEED_COPY_DDL, type FeedBatch, FeedCopy, HUB_SUBSCRIBER } from "./feed-copy";
import { pushHoldChanges } from "./feed-push";
import { BROADCAST_DELAY_MS, liveConfig } from "./live-config";
import {
	type Attachment,
	answerClose,
	buyerTag,
	ClientMessageGuard,
	closeAll,
	closeSessions,
	closeSocket,
	HUB_HEADERS,
	liveError,
	type Role,
	sendAll,
	sendChanges,
	socketTags,
	versionOf,
} from "./live-sockets";
import { wakeBy } from "./storage/alarm";
import { one } from "./storage/rows";
import { type Migration, migrate } from "./storage/schema";

export type { HoldChange };

/** Claim outcomes counted by one isolate since its last report. */
export interface ClaimCounts {
	/** Claim requests answered 200/201. */
	granted: number;
	/** Claim requests refused, by error code. */
	rejected: Record<string, number>;
}

export {
	CLIENT_MESSAGE_WINDOW_MS,
	CLIENT_MESSAGES_PER_WINDOW,
	CLOSE,
	HUB_HEADERS,
	MAX_CLIENT_MESSAGE_BYTES,
} from "./live-sockets";
export type { Attachment, Role };
export { BROADCAST_DELAY_MS };

/** Staff stats cadence while staff are connected (API.md: at least every 2 s). */
export const STATS_INTERVAL_MS = 1_000;

/** A message for every buyer's page (announcements): any frame with a `type` the pages know. */
export interface BuyerBroadcast {
	type: string;
	[field: string]: unknown;
}

/** A staff connect joins the feed's inputs again when the hub's copy is older than this. */
const SYNC_MAX_AGE_MS = 5_000;
/** claimsPerSecond averages the last few whole seconds: isolates report in ~0.5 s batches. */
const RATE_WINDOW_S = 3;

/**
 * The hub's tables, oldest first (see storage/schema.ts): append a migration, never edit one.
 * Version 1 is the DDL from before versioning, kept idempotent for the objects created then.
 */
export const DASHBOARD_HUB_SCHEMA: readonly Migration[] = [
	{
		version: 1,
		up: `
			CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), event_id TEXT NOT NULL);
			CREATE TABLE IF NOT EXISTS listings (
				id TEXT PRIMARY KEY, stock INTEGER NOT NULL, available INTEGER NOT NULL, status TEXT NOT NULL);
			CREATE TABLE IF NOT EXISTS holds (
				hold_id TEXT PRIMARY KEY, listing_id TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL);
			CREATE INDEX IF NOT EXISTS holds_by_listing ON holds (listing_id, status);
			CREATE TABLE IF NOT EXISTS claim_seconds (sec INTEGER PRIMARY KEY, claims INTEGER NOT NULL);
			CREATE TABLE IF NOT EXISTS rejections (code TEXT PRIMARY KEY, n INTEGER NOT NULL);
			CREATE TABLE IF NOT EXISTS tickets (ticket_id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
		`,
	},
	{
		// The sharded feed: the shards that joined (with the buyer sockets each last reported) and the
		// number of the last batch sent, which shards use to notice one they missed.
		version: 2,
		up: `
			CREATE TABLE shards (idx INTEGER PRIMARY KEY, sockets INTEGER NOT NULL DEFAULT 0);
			CREATE TABLE feed (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
		`,
	},
	{
		// The feed's inputs moved to FeedInput (K per event): the hub keeps a subscriber's copy instead of
		// the holds, and no batch numbers of its own. The copy is filled at the next staff connect.
		version: 3,
		up: `DROP TABLE holds; DROP TABLE listings; DROP TABLE feed; ${FEED_COPY_DDL}`,
	},
];

export class DashboardHub extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private eventId: string | null = null;
	/** The staff side's copy of the feed: every input's listings and counters. */
	private readonly copy: FeedCopy;
	private readonly guard = new ClientMessageGuard();
	/** Frames and bytes this incarnation handed to its own sockets (the measurement in docs/LIVE.md). */
	private sent = { frames: 0, bytes: 0 };

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		migrate(ctx.storage, DASHBOARD_HUB_SCHEMA);
		this.eventId = one<{ event_id: string }>(this.sql, "SELECT event_id FROM meta WHERE id = 1")?.event_id ?? null;
		const config = liveConfig(env);
		this.copy = new FeedCopy(ctx.storage, {
			inputs: config.feedInputs,
			flushMs: config.flushMs,
			join: (input) => {
				const eventId = this.eventId;
				if (eventId === null) return Promise.reject(new Error("hub used before it was bound"));
				return feedInputOf(this.env, eventId, input).join(eventId, input, HUB_SUBSCRIBER);
			},
			send: (changes) => this.send(changes),
			waitUntil: (work) => ctx.waitUntil(work),
		});
		// Keep-alive pings are answered by the runtime without waking a hibernating hub.
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
	}

	// --- RPC ---------------------------------------------------------------------------------------

	/**
	 * Hold changes, handed on to their feed inputs (feed-push.ts). Pushers call the inputs themselves;
	 * this stays for a caller from before the inputs (a worker mid-deploy) and for tests.
	 */
	async applyHolds(eventId: string, changes: HoldChange[]): Promise<void> {
		this.bind(eventId);
		await pushHoldChanges(this.env, eventId, changes);
	}

	/** One batch of one feed input (the hub subscribes like a shard): to the copy and the staff sockets. */
	async deliver(eventId: string, _idx: number, batch: FeedBatch): Promise<number> {
		this.bind(eventId);
		this.copy.deliver(batch);
		return this.ctx.getWebSockets().length;
	}

	/** Claim counters reported by the worker's isolates in batches. */
	async recordClaims(eventId: string, counts: ClaimCounts): Promise<void> {
		this.bind(eventId);
		const rejected = Object.entries(counts.rejected).filter(([, n]) => n > 0);
		const total = counts.granted + rejected.reduce((sum, [, n]) => sum + n, 0);
		const sec = Math.floor(Date.now() / 1000);
		this.sql.exec(
			`INSERT INTO claim_seconds (sec, claims) VALUES (?, ?)
			 ON CONFLICT (sec) DO UPDATE SET claims = claims + excluded.claims`,
			sec,
			total,
		);
		this.sql.exec("DELETE FROM claim_seconds WHERE sec < ?", sec - 60);
		for (const [code, n] of rejected) {
			this.sql.exec(
				"INSERT INTO rejections (code, n) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET n = n + excluded.n",
				code,
				n,
			);
		}
	}

	/** The current state, as a new connection would see it, fresh from every input (tests, operators). */
	async snapshot(): Promise<{ listings: ListingState[]; stats: StaffStats }> {
		if (this.eventId !== null) await this.copy.sync(0);
		return { listings: this.copy.listings(), stats: this.staffStats() };
	}

	/**
	 * The operator switched buyers' live updates off: close their sockets on every shard (staff keep
	 * theirs). The buyer page reconnects, is refused with 503 degraded and falls back to polling.
	 */
	async disconnectBuyers(): Promise<number> {
		const here = closeAll(this.ctx.getWebSockets("buyer"), 1013, "live updates for buyers are switched off");
		const shards = await this.eachShard((shard) => shard.disconnectBuyers());
		return here + shards.reduce((sum, n) => sum + n, 0);
	}

	/**
	 * The buyer object revoked sessions of `buyerId` (a newer login, or a logout): their sockets close
	 * now with 1008, all but those of `keep`, on whichever shard holds them. Returns how many were closed.
	 */
	async endBuyerSessions(buyerId: string, keep: string | null): Promise<number> {
		const here = closeSessions(this.ctx.getWebSockets(buyerTag(buyerId)), keep);
		const shards = await this.eachShard((shard) => shard.endBuyerSessions(buyerId, keep));
		return here + shards.reduce((sum, n) => sum + n, 0);
	}

	/**
	 * One message to every buyer's page (an announcement): the hub forwards it to every shard, which
	 * sends it to each of its buyer sockets. Returns how many sockets took it.
	 */
	async broadcastToBuyers(message: BuyerBroadcast): Promise<number> {
		const frame = JSON.stringify(message);
		const here = sendAll(this.ctx.getWebSockets("buyer"), frame);
		const shards = await this.eachShard((shard) => shard.broadcast(frame));
		return here + shards.reduce((sum, n) => sum + n, 0);
	}

	/**
	 * The operator posted (or cleared) the event's announcement: every page on the feed, staff here and
	 * buyers on every shard, is told now. Nothing is stored here: D1 keeps the announcement and the
	 * pages read it with the event (issue 13). Returns how many sockets were sent it.
	 */
	async announce(announcement: Announcement | null): Promise<number> {
		const frame = { type: "announcement", announcement } satisfies AnnouncementFrame;
		const staff = sendAll(this.ctx.getWebSockets("staff"), JSON.stringify(frame));
		return staff + (await this.broadcastToBuyers(frame));
	}

	/** How many sockets of each role are attached right now, asking every shard (tests, operators). */
	async connections(): Promise<Record<Role, number>> {
		const shards = await this.eachShard((shard) => shard.connections());
		return {
			staff: this.ctx.getWebSockets("staff").length,
			buyer: this.ctx.getWebSockets("buyer").length + shards.reduce((sum, n) => sum + n, 0),
		};
	}

	/**
	 * A shard's first connect of its incarnation (and again every few seconds of connects): it is listed,
	 * so that whatever must reach every buyer (eachShard) reaches it. Its listings come from the inputs.
	 */
	async registerShard(eventId: string, idx: number): Promise<void> {
		this.bind(eventId);
		this.sql.exec("INSERT INTO shards (idx) VALUES (?) ON CONFLICT (idx) DO NOTHING", idx);
	}

	/** A shard's count of buyer sockets, reported when it changes (staff stats' `online`). */
	async shardSockets(eventId: string, idx: number, sockets: number): Promise<void> {
		this.bind(eventId);
		this.sql.exec(
			"INSERT INTO shards (idx, sockets) VALUES (?, ?) ON CONFLICT (idx) DO UPDATE SET sockets = excluded.sockets",
			idx,
			sockets,
		);
	}

	/** Frames and bytes sent to this hub's own sockets since it started (measurements). */
	async sentCounts(): Promise<{ frames: number; bytes: number }> {
		return { ...this.sent };
	}

	// --- WebSockets --------------------------------------------------------------------------------

	/**
	 * The upgrade of a staff page, forwarded by worker/routes/live.ts after it checked the ticket. Buyer
	 * sockets go to the event's shards; one arriving here (a worker from before the shards) is still served.
	 */
	override async fetch(request: Request): Promise<Response> {
		if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
			return liveError(400, "invalid_request", "Expected a WebSocket upgrade.");
		}
		const eventId = request.headers.get(HUB_HEADERS.eventId);
		const role = request.headers.get(HUB_HEADERS.role);
		if (!eventId || (role !== "staff" && role !== "buyer")) {
			return liveError(400, "invalid_request", "The upgrade did not come through the live route.");
		}
		this.bind(eventId);
		if (role === "staff" && !this.redeemTicket(request)) {
			return liveError(403, "forbidden", "This live ticket was already used; ask for a new one.");
		}
		await this.copy.sync(SYNC_MAX_AGE_MS);

		const pair = new WebSocketPair();
		const [client, server] = [pair[0], pair[1]];
		const attachment: Attachment = { role, v: versionOf(request), connectedAt: Date.now() };
		const buyerId = request.headers.get(HUB_HEADERS.buyerId);
		const sessionId = request.headers.get(HUB_HEADERS.sessionId);
		if (role === "buyer" && buyerId) attachment.buyerId = buyerId;
		if (role === "buyer" && sessionId) attachment.sessionId = sessionId;
		this.ctx.acceptWebSocket(server, socketTags(attachment));
		server.serializeAttachment(attachment);
		const stats = role === "staff" ? this.staffStats() : this.copy.stats();
		server.send(JSON.stringify({ type: "snapshot", listings: this.copy.listings(), stats } satisfies SnapshotFrame));
		// The beat's alarm is never more than one interval away, so this only starts a stopped beat.
		if (role === "staff") await wakeBy(this.ctx.storage, Date.now() + STATS_INTERVAL_MS);
		return new Response(null, { status: 101, webSocket: client });
	}

	override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		this.guard.onMessage(ws, message);
	}

	override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
		answerClose(ws, code, reason);
	}

	override async webSocketError(ws: WebSocket): Promise<void> {
		closeSocket(ws, 1011, "error");
	}

	/** Staff stats on a steady beat while any staff page is open; stops by itself when none is. */
	override async alarm(): Promise<void> {
		const staff = this.ctx.getWebSockets("staff");
		if (staff.length === 0) return;
		sendAll(staff, JSON.stringify({ type: "stats", ...this.staffStats() } satisfies StatsFrame));
		await wakeBy(this.ctx.storage, Date.now() + STATS_INTERVAL_MS);
	}

	// --- internals ---------------------------------------------------------------------------------

	private bind(eventId: string): void {
		if (this.eventId === eventId) return;
		if (this.eventId !== null) throw new Error(`hub of ${this.eventId} called for ${eventId}`);
		this.sql.exec("INSERT INTO meta (id, event_id) VALUES (1, ?)", eventId);
		this.eventId = eventId;
	}

	/** A live ticket works once: it travels in a URL, which proxies and browsers may log. */
	private redeemTicket(request: Request): boolean {
		const ticketId = request.headers.get(HUB_HEADERS.ticketId);
		const expiresAt = Number(request.headers.get(HUB_HEADERS.ticketExpiresAt));
		if (!ticketId || !Number.isFinite(expiresAt)) return false;
		this.sql.exec("DELETE FROM tickets WHERE expires_at < ?", Date.now());
		const inserted = this.sql.exec(
			"INSERT INTO tickets (ticket_id, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
			ticketId,
			expiresAt,
		).rowsWritten;
		return inserted > 0;
	}

	/** A coalesced set of the inputs' changes to this hub's sockets (staff, and buyers from before the shards). */
	private send(changes: ListingState[]): void {
		const sent = sendChanges(this.ctx.getWebSockets(), changes);
		this.sent.frames += sent.frames;
		this.sent.bytes += sent.bytes;
	}

	/** Runs `call` on every shard that joined, in parallel; a shard that fails counts 0 and is logged. */
	private async eachShard(
		call: (shard: ReturnType<typeof hubShardOf>, idx: number) => Promise<number>,
	): Promise<number[]> {
		const eventId = this.eventId;
		if (eventId === null) return [];
		const shards = this.sql
			.exec<{ idx: number }>("SELECT idx FROM shards ORDER BY idx")
			.toArray()
			.map((r) => r.idx);
		return Promise.all(
			shards.map((idx) =>
				call(hubShardOf(this.env, eventId, idx), idx).catch((err: unknown) => {
					console.warn("hub shard not reached", { eventId, idx, error: String(err) });
					return 0;
				}),
			),
		);
	}

	private staffStats(): StaffStats {
		const now = Math.floor(Date.now() / 1000);
		const claims = this.sql
			.exec<{ n: number | null }>(
				"SELECT sum(claims) AS n FROM claim_seconds WHERE sec >= ? AND sec < ?",
				now - RATE_WINDOW_S,
				now,
			)
			.one().n;
		const rejected = Object.fromEntries(
			this.sql
				.exec<{ code: string; n: number }>("SELECT code, n FROM rejections ORDER BY code")
				.toArray()
				.map((r) => [r.code, r.n]),
		);
		return {
			...this.copy.stats(),
			claimsPerSecond: Math.round(((claims ?? 0) / RATE_WINDOW_S) * 10) / 10,
			rejected,
			online: this.ctx.getWebSockets("buyer").length + this.shardSocketCount(),
		};
	}

	/** Buyer sockets on the shards, as each last reported (on a change, and with every batch). */
	private shardSocketCount(): number {
		return this.sql.exec<{ n: number | null }>("SELECT sum(sockets) AS n FROM shards").one().n ?? 0;
	}
}
