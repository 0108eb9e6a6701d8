// HubShard: holds up to HUB_SHARD_SOCKETS buyer sockets of one event (docs/LIVE.md "Scale"). One
// object per event cannot hold a million sockets ("thousands of clients per instance") nor send each
// a frame per change, so buyers' pages connect to shards the worker picks, and the event's K feed
// inputs (FeedInput, split by listing id) forward each coalesced batch of listing changes to every
// shard, which gathers them and sends them on to its sockets as one frame per socket per interval.
//
// The shard keeps its own copy of the listings in SQLite (feed-copy.ts, shared with the DashboardHub)
// to answer a connect's snapshot without asking anyone. The copy comes from the inputs when the shard
// joins them (once per incarnation, and again when it is older than 5 s at a connect), and moves with
// each batch. Each input numbers its batches: a number that skips one tells the shard it missed a batch
// of that input, and it joins that input again. The shard also registers with the event's hub, which
// reaches every shard for what must reach every buyer (announcements, revoked sessions, buyerLiveOff).
import { DurableObject } from "cloudflare:workers";
import type { ListingState, SnapshotFrame } from "../client/live-frames";
import { dashboardHubOf, feedInputOf } from "./addresses";
import type { ClaimCounts } from "./dashboard-hub";
import { FEED_COPY_DDL, type FeedBatch, FeedCopy } from "./feed-copy";
import { COUNTS_WINDOW_MS, liveConfig } from "./live-config";
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
	sendAll,
	sendChanges,
	socketTags,
	versionOf,
} from "./live-sockets";
import { one } from "./storage/rows";
import { type Migration, migrate } from "./storage/schema";

/** A batch of one feed input, as shards receive it (feed-copy.ts). */
export type ShardBatch = FeedBatch;

/** A connect joins the inputs again when the shard's copy is older than this (the inputs' own D1 rule). */
const SYNC_MAX_AGE_MS = 5_000;
/** Socket counts go to the hub at most this often (staff stats' `online`). */
const REPORT_DELAY_MS = 500;
/** The answer to an upgrade when this shard is full: the worker tries another shard. */
export const SHARD_FULL = "shard_full";

export const HUB_SHARD_SCHEMA: readonly Migration[] = [
	{
		version: 1,
		up: `
			CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 1), event_id TEXT NOT NULL, idx INTEGER NOT NULL,
				seq INTEGER NOT NULL DEFAULT 0, stats TEXT NOT NULL DEFAULT '{"sold":0,"held":0,"available":0}');
			CREATE TABLE listings (id TEXT PRIMARY KEY, available INTEGER NOT NULL, status TEXT NOT NULL, seq INTEGER NOT NULL);
		`,
	},
	{
		// K feed inputs instead of one hub: a number and counters per input (feed-copy.ts). meta.seq and
		// meta.stats are no longer read; the copy is rebuilt at the next connect's join.
		version: 2,
		up: `DROP TABLE listings; ${FEED_COPY_DDL}`,
	},
];

interface MetaRow extends Record<string, SqlStorageValue> {
	event_id: string;
	idx: number;
}

export class HubShard extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private meta: { eventId: string; idx: number } | null = null;
	private readonly copy: FeedCopy;
	/** Per incarnation, like the copy's joins: when this shard last told the hub it exists. */
	private registeredAt = 0;
	private reportTimer: ReturnType<typeof setTimeout> | null = null;
	/** Claim counts received from isolates and not yet passed on to the hub. */
	private claims: ClaimCounts | null = null;
	private claimsTimer: ReturnType<typeof setTimeout> | null = null;
	private claimsSentAt = 0;
	private readonly guard = new ClientMessageGuard();
	private sent = { frames: 0, bytes: 0 };

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		migrate(ctx.storage, HUB_SHARD_SCHEMA);
		const row = one<MetaRow>(this.sql, "SELECT event_id, idx FROM meta WHERE id = 1");
		if (row) this.meta = { eventId: row.event_id, idx: row.idx };
		const config = liveConfig(env);
		this.copy = new FeedCopy(ctx.storage, {
			inputs: config.feedInputs,
			flushMs: config.flushMs,
			join: (input) => {
				const meta = this.bound();
				return feedInputOf(this.env, meta.eventId, input).join(meta.eventId, input, meta.idx);
			},
			send: (changes) => this.send(changes),
			waitUntil: (work) => ctx.waitUntil(work),
		});
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
	}

	// --- RPC from the event's feed inputs and hub ----------------------------------------------------

	/** One batch of one input: applied to the copy, sent on to every socket. Returns the sockets held. */
	async deliver(eventId: string, idx: number, batch: ShardBatch): Promise<number> {
		this.bind(eventId, idx);
		this.copy.deliver(batch);
		return this.ctx.getWebSockets().length;
	}

	/**
	 * Claim counts from the worker's isolates (worker/live/claim-report.ts): summed here and passed on
	 * to the hub at most once per COUNTS_WINDOW_MS — at once when the last pass is that long ago.
	 */
	async recordClaims(eventId: string, idx: number, counts: ClaimCounts): Promise<void> {
		this.bind(eventId, idx);
		const sum = this.claims ?? { granted: 0, rejected: {} };
		this.claims = sum;
		sum.granted += counts.granted;
		for (const [code, n] of Object.entries(counts.rejected)) sum.rejected[code] = (sum.rejected[code] ?? 0) + n;
		if (this.claimsTimer !== null) return;
		const delay = this.claimsSentAt + COUNTS_WINDOW_MS - Date.now();
		if (delay <= 0) {
			this.passClaims(eventId);
			return;
		}
		this.claimsTimer = setTimeout(() => this.passClaims(eventId), delay);
	}

	async disconnectBuyers(): Promise<number> {
		return closeAll(this.ctx.getWebSockets("buyer"), 1013, "live updates for buyers are switched off");
	}

	async endBuyerSessions(buyerId: string, keep: string | null): Promise<number> {
		return closeSessions(this.ctx.getWebSockets(buyerTag(buyerId)), keep);
	}

	/** An already serialised frame (an announcement) to every socket here. */
	async broadcast(frame: string): Promise<number> {
		return sendAll(this.ctx.getWebSockets(), frame);
	}

	async connections(): Promise<number> {
		return this.ctx.getWebSockets().length;
	}

	/** The copy a connect would be sent, and each input's last batch number (tests, measurements). */
	async state(): Promise<{
		inputs: Record<number, { epoch: string; seq: number }>;
		listings: ListingState[];
		sent: { frames: number; bytes: number };
	}> {
		return { inputs: this.copy.inputs(), listings: this.copy.listings(), sent: { ...this.sent } };
	}

	// --- WebSockets --------------------------------------------------------------------------------

	/** A buyer's upgrade, forwarded by the worker (worker/live/shard-route.ts) after it checked the session. */
	override async fetch(request: Request): Promise<Response> {
		const eventId = request.headers.get(HUB_HEADERS.eventId);
		const idx = Number(request.headers.get(HUB_HEADERS.shard));
		const buyerId = request.headers.get(HUB_HEADERS.buyerId);
		if (
			request.headers.get("upgrade")?.toLowerCase() !== "websocket" ||
			!eventId ||
			!buyerId ||
			!Number.isInteger(idx)
		) {
			return liveError(400, "invalid_request", "The upgrade did not come through the live route.");
		}
		const { shardSockets } = liveConfig(this.env);
		// Refused before any work: the worker tries the next shard.
		if (this.ctx.getWebSockets().length >= shardSockets) return liveError(503, SHARD_FULL, "This shard is full.");
		this.bind(eventId, idx);
		await this.join(SYNC_MAX_AGE_MS);
		// Checked again: other connects may have been let in while this one waited for the inputs.
		if (this.ctx.getWebSockets().length >= shardSockets) return liveError(503, SHARD_FULL, "This shard is full.");

		const pair = new WebSocketPair();
		const [client, server] = [pair[0], pair[1]];
		const attachment: Attachment = { role: "buyer", buyerId, v: versionOf(request), connectedAt: Date.now() };
		const sessionId = request.headers.get(HUB_HEADERS.sessionId);
		if (sessionId) attachment.sessionId = sessionId;
		this.ctx.acceptWebSocket(server, socketTags(attachment));
		server.serializeAttachment(attachment);
		server.send(
			JSON.stringify({
				type: "snapshot",
				listings: this.copy.listings(),
				stats: this.copy.stats(),
			} satisfies SnapshotFrame),
		);
		this.reportSockets();
		return new Response(null, { status: 101, webSocket: client });
	}

	override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		this.guard.onMessage(ws, message);
	}

	override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
		answerClose(ws, code, reason);
		this.reportSockets();
	}

	override async webSocketError(ws: WebSocket): Promise<void> {
		closeSocket(ws, 1011, "error");
		this.reportSockets();
	}

	// --- internals ---------------------------------------------------------------------------------

	private bind(eventId: string, idx: number): void {
		if (this.meta) {
			if (this.meta.eventId !== eventId || this.meta.idx !== idx) {
				throw new Error(`shard ${this.meta.eventId}#${this.meta.idx} called as ${eventId}#${idx}`);
			}
			return;
		}
		this.sql.exec("INSERT INTO meta (id, event_id, idx) VALUES (1, ?, ?)", eventId, idx);
		this.meta = { eventId, idx };
	}

	private bound(): { eventId: string; idx: number } {
		if (!this.meta) throw new Error("hub shard used before it was bound");
		return this.meta;
	}

	/**
	 * Joins every feed input (in parallel) when the copy is older than `maxAgeMs`, and registers with
	 * the event's hub, so that whatever must reach every buyer reaches this shard too.
	 */
	private async join(maxAgeMs: number): Promise<void> {
		const meta = this.bound();
		const register = async () => {
			if (this.registeredAt >= Date.now() - maxAgeMs) return;
			const startedAt = Date.now();
			try {
				await dashboardHubOf(this.env, meta.eventId).registerShard(meta.eventId, meta.idx);
				this.registeredAt = startedAt;
			} catch (err) {
				console.warn("shard not registered with the hub", { error: String(err) });
			}
		};
		await Promise.all([this.copy.sync(maxAgeMs), register()]);
	}

	private send(changes: ListingState[]): void {
		const sent = sendChanges(this.ctx.getWebSockets(), changes);
		this.sent.frames += sent.frames;
		this.sent.bytes += sent.bytes;
	}

	/** Tells the hub how many sockets this shard holds, once the connects and closes of a moment settle. */
	private reportSockets(): void {
		const meta = this.meta;
		if (!meta || this.reportTimer !== null) return;
		this.reportTimer = setTimeout(() => {
			this.reportTimer = null;
			const sockets = this.ctx.getWebSockets().length;
			this.ctx.waitUntil(
				dashboardHubOf(this.env, meta.eventId)
					.shardSockets(meta.eventId, meta.idx, sockets)
					.catch((err: unknown) => console.warn("shard count not reported", { error: String(err) })),
			);
		}, REPORT_DELAY_MS);
	}

	private passClaims(eventId: string): void {
		this.claimsTimer = null;
		const counts = this.claims;
		this.claims = null;
		if (!counts) return;
		this.claimsSentAt = Date.now();
		this.ctx.waitUntil(
			dashboardHubOf(this.env, eventId)
				.recordClaims(eventId, counts)
				.catch((err: unknown) => console.warn("claim counts not passed on", { error: String(err) })),
		);
	}
}
