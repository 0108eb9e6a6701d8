// HubShard: holds up to HUB_SHARD_SOCKETS buyer sockets of one event (docs/LIVE.md "Scale"). One
// DashboardHub per event cannot hold a million sockets ("thousands of clients per instance") nor send
// each a frame per change, so buyers' pages connect to shards the worker picks, and the event's hub
// (the feed's single input) forwards each coalesced batch of listing changes to every shard, which
// sends it on to its sockets as one frame per socket.
//
// The shard keeps its own copy of the listings in SQLite to answer a connect's snapshot without asking
// anyone. The copy comes from the hub when the shard joins (once per incarnation, and again when it is
// older than 5 s at a connect, as the hub's own copy is refreshed from D1), and moves with each batch.
// Batches are numbered: a number that skips one tells the shard it missed a batch, and it asks for the
// state again. Each listing row remembers the number of what last set it, so a late batch or snapshot
// never overwrites something newer.
import { DurableObject } from "cloudflare:workers";
import type { ListingState, ListingStatus, PublicStats, SnapshotFrame } from "../client/live-frames";
import { dashboardHubOf } from "./addresses";
import type { ClaimCounts } from "./dashboard-hub";
import { COUNTS_WINDOW_MS, liveConfig } from "./live-config";
import {
	type Attachment,
	buyerTag,
	ClientMessageGuard,
	closeAll,
	closeSessions,
	HUB_HEADERS,
	liveError,
	sendAll,
	sendChanges,
	socketTags,
	versionOf,
} from "./live-sockets";
import { one } from "./storage/rows";
import { type Migration, migrate } from "./storage/schema";

/** A coalesced batch of listing changes, numbered by the hub (1, 2, …), with the public counters. */
export interface ShardBatch {
	seq: number;
	changes: ListingState[];
	stats: PublicStats;
}

/** The hub's state as a shard serves it: every listing and the public counters, as of batch `seq`. */
export interface ShardSnapshot {
	seq: number;
	listings: ListingState[];
	stats: PublicStats;
}

/** A connect asks the hub again when the shard's copy is older than this (the hub's own D1 rule). */
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
];

interface MetaRow extends Record<string, SqlStorageValue> {
	event_id: string;
	idx: number;
	seq: number;
	stats: string;
}

export class HubShard extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private meta: { eventId: string; idx: number } | null = null;
	/** Per incarnation on purpose: a shard back from eviction asks the hub before its next snapshot. */
	private syncedAt = 0;
	private syncing: Promise<void> | null = null;
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
		const row = one<MetaRow>(this.sql, "SELECT event_id, idx, seq, stats FROM meta WHERE id = 1");
		if (row) this.meta = { eventId: row.event_id, idx: row.idx };
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
	}

	// --- RPC from the event's hub ------------------------------------------------------------------

	/** One batch from the hub: applied to the copy, sent to every socket. Returns the sockets held. */
	async deliver(eventId: string, idx: number, batch: ShardBatch): Promise<number> {
		this.bind(eventId, idx);
		const last = this.seq();
		const changed = this.apply(batch.seq, batch.changes, batch.stats);
		this.send(changed);
		// A number that skips one: a batch was lost on its way here. Ask for the whole state (its
		// differences go out to the sockets too).
		if (batch.seq > last + 1 && last > 0) {
			this.syncedAt = 0;
			this.ctx.waitUntil(
				this.sync().catch((err: unknown) => console.warn("shard resync failed", { error: String(err) })),
			);
		}
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

	/** The copy a connect would be sent, and the last batch number (tests, measurements). */
	async state(): Promise<{ seq: number; listings: ListingState[]; sent: { frames: number; bytes: number } }> {
		return { seq: this.seq(), listings: this.listingStates(), sent: { ...this.sent } };
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
		if (this.syncedAt < Date.now() - SYNC_MAX_AGE_MS) await this.sync();
		// Checked again: other connects may have been let in while this one waited for the hub.
		if (this.ctx.getWebSockets().length >= shardSockets) return liveError(503, SHARD_FULL, "This shard is full.");

		const pair = new WebSocketPair();
		const [client, server] = [pair[0], pair[1]];
		const attachment: Attachment = { role: "buyer", buyerId, v: versionOf(request), connectedAt: Date.now() };
		const sessionId = request.headers.get(HUB_HEADERS.sessionId);
		if (sessionId) attachment.sessionId = sessionId;
		this.ctx.acceptWebSocket(server, socketTags(attachment));
		server.serializeAttachment(attachment);
		server.send(
			JSON.stringify({ type: "snapshot", listings: this.listingStates(), stats: this.stats() } satisfies SnapshotFrame),
		);
		this.reportSockets();
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
		this.reportSockets();
	}

	override async webSocketError(ws: WebSocket): Promise<void> {
		try {
			ws.close(1011, "error");
		} catch {
			// Nothing left to close.
		}
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

	/** Single-flight: join the hub's feed and take its state (whatever in it is newer than the copy). */
	private sync(): Promise<void> {
		this.syncing ??= this.join().finally(() => {
			this.syncing = null;
		});
		return this.syncing;
	}

	private async join(): Promise<void> {
		const meta = this.meta;
		if (!meta) return;
		const startedAt = Date.now();
		const snapshot = await dashboardHubOf(this.env, meta.eventId).joinShard(meta.eventId, meta.idx);
		// A snapshot is the hub's state as of batch `seq` or later: it wins over rows set by batch ≤ seq.
		this.send(this.apply(snapshot.seq, snapshot.listings, snapshot.stats, true));
		this.syncedAt = startedAt;
	}

	/**
	 * Applies listing states numbered `seq`: a batch replaces rows set by older batches, a snapshot rows
	 * set by batches up to its own number. Returns the listings whose state changed.
	 */
	private apply(seq: number, listings: ListingState[], stats: PublicStats, snapshot = false): ListingState[] {
		const changed: ListingState[] = [];
		this.ctx.storage.transactionSync(() => {
			for (const l of listings) {
				const row = one<{ available: number; status: string; seq: number }>(
					this.sql,
					"SELECT available, status, seq FROM listings WHERE id = ?",
					l.id,
				);
				if (row && (snapshot ? seq < row.seq : seq <= row.seq)) continue;
				this.sql.exec(
					`INSERT INTO listings (id, available, status, seq) VALUES (?, ?, ?, ?)
					 ON CONFLICT (id) DO UPDATE SET available = excluded.available, status = excluded.status, seq = excluded.seq`,
					l.id,
					l.available,
					l.status,
					seq,
				);
				// A batch from the hub goes out whole: the hub already sent only what changed since its last
				// batch, and a change that ends where this copy stands (held and released again within one
				// flush) still happened — a buyer who heard "held" from its claim's answer must hear the end.
				// A resync's snapshot sends only what differs from this copy.
				if (!snapshot || !row || row.available !== l.available || row.status !== l.status) changed.push(l);
			}
			const current = this.seq();
			if (seq >= current) this.sql.exec("UPDATE meta SET seq = ?, stats = ? WHERE id = 1", seq, JSON.stringify(stats));
		});
		return changed;
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

	private seq(): number {
		return one<{ seq: number }>(this.sql, "SELECT seq FROM meta WHERE id = 1")?.seq ?? 0;
	}

	private stats(): PublicStats {
		const raw = one<{ stats: string }>(this.sql, "SELECT stats FROM meta WHERE id = 1")?.stats;
		return raw ? (JSON.parse(raw) as PublicStats) : { sold: 0, held: 0, available: 0 };
	}

	private listingStates(): ListingState[] {
		return this.sql
			.exec<{ id: string; available: number; status: string }>("SELECT id, available, status FROM listings ORDER BY id")
			.toArray()
			.map((r) => ({ id: r.id, available: r.available, status: r.status as ListingStatus }));
	}
}
