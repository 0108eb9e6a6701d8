// DashboardHub: one object per event, the input of its live feed (API.md "Live updates"). Listing
// objects and the orders consumer push hold changes here; the hub coalesces the listing changes and,
// at most once a flush interval, sends them to its own sockets (staff, who connect with a live ticket)
// and forwards the batch to every HubShard of the event, which hold the buyers' sockets (docs/LIVE.md
// "Scale": one object cannot hold a million sockets nor send each a frame per change).
//
// State lives in the hub's own SQLite so that hibernation and eviction lose nothing a client needs:
// each hold's latest (status, version), each listing's stock and the state clients were last told.
// Updates arrive at least once and in any order from the orders consumer (after D1) and from the
// worker's fast path; both are applied with the same rule as D1's orders — a higher version wins —
// so duplicates and reordering change nothing. D1 is re-read on connect when the hub's copy may be
// stale, which makes the snapshot the source of truth and every pushed update best-effort.
import { DurableObject } from "cloudflare:workers";
import type {
	Announcement,
	AnnouncementFrame,
	ListingState,
	ListingStatus,
	PublicStats,
	SnapshotFrame,
	StaffStats,
	StatsFrame,
} from "../client/live-frames";
import { liveViewOf } from "../db/live-view";
import type { HoldStatus } from "../lib/hold-record";
import { hubShardOf } from "./addresses";
import type { ShardBatch, ShardSnapshot } from "./hub-shard";
import { BROADCAST_DELAY_MS, liveConfig, nextFlushDelay } from "./live-config";
import {
	type Attachment,
	buyerTag,
	ClientMessageGuard,
	closeAll,
	closeSessions,
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

/** The part of a hold the hub needs; `HoldRecord` (lib/holds) is one. */
export interface HoldChange {
	holdId: string;
	listingId: string;
	status: HoldStatus;
	version: number;
}

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

/** A connect re-reads D1 when the hub's copy is older than this. */
const SYNC_MAX_AGE_MS = 5_000;
/** claimsPerSecond averages the last few whole seconds: isolates report in ~0.5 s batches. */
const RATE_WINDOW_S = 3;

interface ListingRow extends Record<string, SqlStorageValue> {
	id: string;
	stock: number;
	available: number;
	status: string;
}

interface TallyRow extends Record<string, SqlStorageValue> {
	id: string;
	stock: number;
	active: number;
	confirmed: number;
}

/** API.md's rule: stock left → available; none left but not all sold → held; all sold → sold. */
export function listingStatus(stock: number, active: number, confirmed: number): ListingState["status"] {
	if (active < stock) return "available";
	return confirmed >= stock ? "sold" : "held";
}

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
];

export class DashboardHub extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private eventId: string | null = null;
	/** Per-incarnation on purpose: a hub back from eviction re-reads D1 on its next connect. */
	private syncedAt = 0;
	private syncing: Promise<void> | null = null;
	private readonly pending = new Map<string, ListingState>();
	private flushTimer: ReturnType<typeof setTimeout> | null = null;
	/** When the last batch went out: the next may go no sooner than one flush interval later. */
	private lastFlushAt = 0;
	private readonly guard = new ClientMessageGuard();
	/** Frames and bytes this incarnation handed to its own sockets (the measurement in docs/LIVE.md). */
	private sent = { frames: 0, bytes: 0 };

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		migrate(ctx.storage, DASHBOARD_HUB_SCHEMA);
		this.eventId = one<{ event_id: string }>(this.sql, "SELECT event_id FROM meta WHERE id = 1")?.event_id ?? null;
		// Keep-alive pings are answered by the runtime without waking a hibernating hub.
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
	}

	// --- RPC ---------------------------------------------------------------------------------------

	/** Hold changes from the orders consumer or the worker's fast path; idempotent, order-proof. */
	async applyHolds(eventId: string, changes: HoldChange[]): Promise<void> {
		this.bind(eventId);
		if (this.listingCount() === 0) await this.sync();
		const touched = new Set<string>();
		for (const h of changes) {
			if (this.applyHold(h.holdId, h.listingId, h.status, h.version)) touched.add(h.listingId);
		}
		this.recompute([...touched]);
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

	/** The current state, as a new connection would see it (tests, and the staff snapshot). */
	async snapshot(): Promise<{ listings: ListingState[]; stats: StaffStats }> {
		return { listings: this.listingStates(), stats: this.staffStats() };
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
	 * A shard's first request of its incarnation (or after it noticed a batch it missed): it joins the
	 * feed and gets the state to serve snapshots from. The hub re-reads D1 first when its own copy is
	 * stale, as a connect did when the hub held the sockets itself.
	 */
	async joinShard(eventId: string, idx: number): Promise<ShardSnapshot> {
		this.bind(eventId);
		this.sql.exec("INSERT INTO shards (idx) VALUES (?) ON CONFLICT (idx) DO NOTHING", idx);
		if (this.syncedAt < Date.now() - SYNC_MAX_AGE_MS) await this.sync();
		return { seq: this.feedSeq(), listings: this.listingStates(), stats: this.publicStats() };
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
		if (this.syncedAt < Date.now() - SYNC_MAX_AGE_MS) await this.sync();

		const pair = new WebSocketPair();
		const [client, server] = [pair[0], pair[1]];
		const attachment: Attachment = { role, v: versionOf(request), connectedAt: Date.now() };
		const buyerId = request.headers.get(HUB_HEADERS.buyerId);
		const sessionId = request.headers.get(HUB_HEADERS.sessionId);
		if (role === "buyer" && buyerId) attachment.buyerId = buyerId;
		if (role === "buyer" && sessionId) attachment.sessionId = sessionId;
		this.ctx.acceptWebSocket(server, socketTags(attachment));
		server.serializeAttachment(attachment);
		const stats = role === "staff" ? this.staffStats() : this.publicStats();
		server.send(JSON.stringify({ type: "snapshot", listings: this.listingStates(), stats } satisfies SnapshotFrame));
		// The beat's alarm is never more than one interval away, so this only starts a stopped beat.
		if (role === "staff") await wakeBy(this.ctx.storage, Date.now() + STATS_INTERVAL_MS);
		return new Response(null, { status: 101, webSocket: client });
	}

	override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		this.guard.onMessage(ws, message);
	}

	override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
		try {
			ws.close(code, reason);
		} catch {
			// Already closed by the runtime's automatic close reply.
		}
	}

	override async webSocketError(ws: WebSocket): Promise<void> {
		try {
			ws.close(1011, "error");
		} catch {
			// Nothing left to close.
		}
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

	/** Single-flight re-read of the catalogue and the orders from D1, merged by version. */
	private sync(): Promise<void> {
		this.syncing ??= this.loadFromD1().finally(() => {
			this.syncing = null;
		});
		return this.syncing;
	}

	private async loadFromD1(): Promise<void> {
		const eventId = this.eventId;
		if (eventId === null) return;
		const startedAt = Date.now();
		const { listings, holds } = await liveViewOf(this.env, eventId);
		this.ctx.storage.transactionSync(() => {
			for (const l of listings) {
				this.sql.exec(
					`INSERT INTO listings (id, stock, available, status) VALUES (?, ?, -1, '')
					 ON CONFLICT (id) DO UPDATE SET stock = excluded.stock`,
					l.id,
					l.stock,
				);
			}
			for (const h of holds) this.applyHold(h.holdId, h.listingId, h.status, h.version);
		});
		this.recompute(null);
		this.syncedAt = startedAt;
	}

	/** D1's rule for orders: a hold only moves to a higher version. True when the row changed. */
	private applyHold(holdId: string, listingId: string, status: string, version: number): boolean {
		const written = this.sql.exec(
			`INSERT INTO holds (hold_id, listing_id, status, version) VALUES (?, ?, ?, ?)
			 ON CONFLICT (hold_id) DO UPDATE SET status = excluded.status, version = excluded.version
			 WHERE excluded.version > holds.version`,
			holdId,
			listingId,
			status,
			version,
		).rowsWritten;
		return written > 0;
	}

	/** Recomputes listings (null: all) and queues a broadcast of those whose state changed. */
	private recompute(ids: string[] | null): void {
		const tally = `SELECT l.id, l.stock,
				coalesce(sum(h.status IN ('held', 'confirmed')), 0) AS active,
				coalesce(sum(h.status = 'confirmed'), 0) AS confirmed
			FROM listings l LEFT JOIN holds h ON h.listing_id = l.id`;
		const rows =
			ids === null
				? this.sql.exec<TallyRow>(`${tally} GROUP BY l.id`).toArray()
				: ids.flatMap((id) => this.sql.exec<TallyRow>(`${tally} WHERE l.id = ? GROUP BY l.id`, id).toArray());
		for (const r of rows) {
			const next: ListingState = {
				id: r.id,
				available: Math.max(0, r.stock - r.active),
				status: listingStatus(r.stock, r.active, r.confirmed),
			};
			const changed = this.sql.exec(
				"UPDATE listings SET available = ?, status = ? WHERE id = ? AND (available != ? OR status != ?)",
				next.available,
				next.status,
				next.id,
				next.available,
				next.status,
			).rowsWritten;
			if (changed > 0) this.pending.set(next.id, next);
		}
		if (this.pending.size > 0 && this.flushTimer === null) {
			const delay = nextFlushDelay(Date.now(), this.lastFlushAt, liveConfig(this.env).flushMs);
			this.flushTimer = setTimeout(() => this.flush(), delay);
		}
	}

	/**
	 * Sends every listing change since the last batch, at once: to this hub's sockets (a `listings`
	 * frame to a v2 client, a `listing` frame per change to a v1 one) and, numbered, to every shard.
	 */
	private flush(): void {
		this.flushTimer = null;
		const changes = [...this.pending.values()];
		this.pending.clear();
		if (changes.length === 0) return;
		this.lastFlushAt = Date.now();
		const sent = sendChanges(this.ctx.getWebSockets(), changes);
		this.sent.frames += sent.frames;
		this.sent.bytes += sent.bytes;
		const seq = this.feedSeq() + 1;
		this.sql.exec("INSERT INTO feed (id, seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq", seq);
		const batch: ShardBatch = { seq, changes, stats: this.publicStats() };
		// Not awaited by anyone: a shard that misses a batch sees the gap in the numbers at the next one
		// and asks for the state again; one that is slow never holds back the others.
		this.ctx.waitUntil(this.forward(batch));
	}

	private async forward(batch: ShardBatch): Promise<void> {
		const eventId = this.eventId;
		if (eventId === null) return;
		await this.eachShard(async (shard, idx) => {
			const sockets = await shard.deliver(eventId, idx, batch);
			this.sql.exec("UPDATE shards SET sockets = ? WHERE idx = ?", sockets, idx);
			return sockets;
		});
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

	private feedSeq(): number {
		return one<{ seq: number }>(this.sql, "SELECT seq FROM feed WHERE id = 1")?.seq ?? 0;
	}

	private listingStates(): ListingState[] {
		return this.sql
			.exec<ListingRow>("SELECT id, stock, available, status FROM listings WHERE available >= 0 ORDER BY id")
			.toArray()
			.map((r) => ({ id: r.id, available: r.available, status: r.status as ListingStatus }));
	}

	private publicStats(): PublicStats {
		const units = this.sql
			.exec<{ sold: number | null; held: number | null }>(
				`SELECT sum(status = 'confirmed') AS sold, sum(status = 'held') AS held FROM holds
				 WHERE listing_id IN (SELECT id FROM listings)`,
			)
			.one();
		const available = this.sql.exec<{ n: number | null }>("SELECT sum(max(available, 0)) AS n FROM listings").one().n;
		return { sold: units.sold ?? 0, held: units.held ?? 0, available: available ?? 0 };
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
			...this.publicStats(),
			claimsPerSecond: Math.round(((claims ?? 0) / RATE_WINDOW_S) * 10) / 10,
			rejected,
			online: this.ctx.getWebSockets("buyer").length + this.shardSocketCount(),
		};
	}

	/** Buyer sockets on the shards, as each last reported (on a change, and with every batch). */
	private shardSocketCount(): number {
		return this.sql.exec<{ n: number | null }>("SELECT sum(sockets) AS n FROM shards").one().n ?? 0;
	}

	private listingCount(): number {
		return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM listings").one().n;
	}
}
