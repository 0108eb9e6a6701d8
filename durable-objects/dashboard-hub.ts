// DashboardHub: one object per event that fans listing changes out to every open page over
// hibernatable WebSockets (API.md "Live updates"). Staff connect with a live ticket, buyers with their
// session; the worker checks both before it forwards the upgrade here, and tells the hub who it is.
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
	ErrorFrame,
	ListingFrame,
	ListingState,
	ListingStatus,
	PublicStats,
	SnapshotFrame,
	StaffStats,
	StatsFrame,
} from "../client/live-frames";
import { liveViewOf } from "../db/live-view";
import type { HoldStatus } from "../lib/hold-record";
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

export type Role = "staff" | "buyer";

/** What each socket carries through hibernation (serializeAttachment). */
export interface Attachment {
	role: Role;
	/** The buyer's id; absent for staff. */
	buyerId?: string;
	/** The buyer's session: its sockets close when a newer login or a logout revokes it. */
	sessionId?: string;
	connectedAt: number;
}

/** Headers the worker sets on the upgrade it forwards; the hub is not reachable from outside. */
export const HUB_HEADERS = {
	role: "x-kaipan-role",
	eventId: "x-kaipan-event",
	buyerId: "x-kaipan-buyer",
	sessionId: "x-kaipan-session",
	ticketId: "x-kaipan-ticket",
	ticketExpiresAt: "x-kaipan-ticket-expires",
} as const;

/** Listing changes are coalesced for this long, then sent together (API.md: within 1 s). */
export const BROADCAST_DELAY_MS = 75;
/** Staff stats cadence while staff are connected (API.md: at least every 2 s). */
export const STATS_INTERVAL_MS = 1_000;
/**
 * What a client may send (issue 10). The feed is server → client; a page sends only "ping", which the
 * runtime answers without waking the hub. Anything bigger is refused with 1009 (message too big),
 * anything more often with 1008 (policy violation), so no client can keep the event's hub busy.
 */
export const MAX_CLIENT_MESSAGE_BYTES = 1_024;
export const CLIENT_MESSAGES_PER_WINDOW = 10;
export const CLIENT_MESSAGE_WINDOW_MS = 10_000;
/** Close codes the hub uses (RFC 6455 §7.4.1). */
export const CLOSE = { tooBig: 1009, policy: 1008 } as const;

/** The tag that finds one buyer's sockets without scanning the others. */
const buyerTag = (buyerId: string) => `buyer:${buyerId}`;

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
];

export class DashboardHub extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private eventId: string | null = null;
	/** Per-incarnation on purpose: a hub back from eviction re-reads D1 on its next connect. */
	private syncedAt = 0;
	private syncing: Promise<void> | null = null;
	private readonly pending = new Map<string, ListingState>();
	private flushTimer: ReturnType<typeof setTimeout> | null = null;
	/** Messages per socket in the current window; memory is enough (a hub wakes only for traffic). */
	private readonly clientMessages = new WeakMap<WebSocket, { windowStart: number; count: number }>();

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
	 * The operator switched buyers' live updates off: close their sockets (staff keep theirs). The
	 * buyer page reconnects, is refused with 503 degraded and falls back to polling the listings.
	 */
	async disconnectBuyers(): Promise<number> {
		const buyers = this.ctx.getWebSockets("buyer");
		for (const ws of buyers) {
			try {
				ws.close(1013, "live updates for buyers are switched off");
			} catch {
				// Already closing.
			}
		}
		return buyers.length;
	}

	/**
	 * The buyer object revoked sessions of `buyerId` (a newer login, or a logout): their sockets close
	 * now with 1008, all but those of `keep`. Returns how many were closed.
	 */
	async endBuyerSessions(buyerId: string, keep: string | null): Promise<number> {
		let closed = 0;
		for (const ws of this.ctx.getWebSockets(buyerTag(buyerId))) {
			const attachment = ws.deserializeAttachment() as Attachment | null;
			if (keep !== null && attachment?.sessionId === keep) continue;
			try {
				ws.close(CLOSE.policy, "session_revoked");
				closed += 1;
			} catch {
				// Already closing.
			}
		}
		return closed;
	}

	/**
	 * The operator posted (or cleared) the event's announcement: every page on the feed, buyer and
	 * staff, is told now. Nothing is stored here: D1 keeps the announcement and the pages read it with
	 * the event (issue 13). Returns how many sockets were sent it.
	 */
	async announce(announcement: Announcement | null): Promise<number> {
		const frame = JSON.stringify({ type: "announcement", announcement } satisfies AnnouncementFrame);
		const sockets = this.ctx.getWebSockets();
		for (const ws of sockets) trySend(ws, frame);
		return sockets.length;
	}

	/** How many sockets of each role are attached right now. */
	async connections(): Promise<Record<Role, number>> {
		return { staff: this.ctx.getWebSockets("staff").length, buyer: this.ctx.getWebSockets("buyer").length };
	}

	// --- WebSockets --------------------------------------------------------------------------------

	/** The upgrade, forwarded by worker/routes/live.ts after it authenticated the caller. */
	override async fetch(request: Request): Promise<Response> {
		if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
			return hubError(400, "invalid_request", "Expected a WebSocket upgrade.");
		}
		const eventId = request.headers.get(HUB_HEADERS.eventId);
		const role = request.headers.get(HUB_HEADERS.role);
		if (!eventId || (role !== "staff" && role !== "buyer")) {
			return hubError(400, "invalid_request", "The upgrade did not come through the live route.");
		}
		this.bind(eventId);
		if (role === "staff" && !this.redeemTicket(request)) {
			return hubError(403, "forbidden", "This live ticket was already used; ask for a new one.");
		}
		if (this.syncedAt < Date.now() - SYNC_MAX_AGE_MS) await this.sync();

		const pair = new WebSocketPair();
		const [client, server] = [pair[0], pair[1]];
		const attachment: Attachment = { role, connectedAt: Date.now() };
		const buyerId = request.headers.get(HUB_HEADERS.buyerId);
		const sessionId = request.headers.get(HUB_HEADERS.sessionId);
		if (role === "buyer" && buyerId) attachment.buyerId = buyerId;
		if (role === "buyer" && sessionId) attachment.sessionId = sessionId;
		this.ctx.acceptWebSocket(server, attachment.buyerId ? [role, buyerTag(attachment.buyerId)] : [role]);
		server.serializeAttachment(attachment);
		const stats = role === "staff" ? this.staffStats() : this.publicStats();
		server.send(JSON.stringify({ type: "snapshot", listings: this.listingStates(), stats } satisfies SnapshotFrame));
		// The beat's alarm is never more than one interval away, so this only starts a stopped beat.
		if (role === "staff") await wakeBy(this.ctx.storage, Date.now() + STATS_INTERVAL_MS);
		return new Response(null, { status: 101, webSocket: client });
	}

	override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		const size = typeof message === "string" ? new TextEncoder().encode(message).byteLength : message.byteLength;
		if (size > MAX_CLIENT_MESSAGE_BYTES) return closeSocket(ws, CLOSE.tooBig, "message too big");
		if (!this.allowMessage(ws, Date.now())) return closeSocket(ws, CLOSE.policy, "too many messages");
		// The stream is server → client; "ping" is answered by the auto-response above. Anything else
		// is a client bug, told (within the rate above) rather than silently dropped.
		if (message !== "ping")
			ws.send(JSON.stringify({ type: "error", message: "This socket only sends." } satisfies ErrorFrame));
	}

	private allowMessage(ws: WebSocket, now: number): boolean {
		let window = this.clientMessages.get(ws);
		if (!window || window.windowStart <= now - CLIENT_MESSAGE_WINDOW_MS) {
			window = { windowStart: now, count: 0 };
			this.clientMessages.set(ws, window);
		}
		window.count += 1;
		return window.count <= CLIENT_MESSAGES_PER_WINDOW;
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
		const frame = JSON.stringify({ type: "stats", ...this.staffStats() } satisfies StatsFrame);
		for (const ws of staff) trySend(ws, frame);
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
			this.flushTimer = setTimeout(() => this.flush(), BROADCAST_DELAY_MS);
		}
	}

	/** Sends every listing change of the last few dozen milliseconds to every socket at once. */
	private flush(): void {
		this.flushTimer = null;
		const frames = [...this.pending.values()].map((l) =>
			JSON.stringify({ type: "listing", ...l } satisfies ListingFrame),
		);
		this.pending.clear();
		if (frames.length === 0) return;
		for (const ws of this.ctx.getWebSockets()) {
			for (const frame of frames) if (!trySend(ws, frame)) break;
		}
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
			online: this.ctx.getWebSockets("buyer").length,
		};
	}

	private listingCount(): number {
		return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM listings").one().n;
	}
}

/** False when the socket is gone; the runtime drops it from getWebSockets() once it has closed. */
function trySend(ws: WebSocket, frame: string): boolean {
	try {
		ws.send(frame);
		return true;
	} catch {
		return false;
	}
}

function closeSocket(ws: WebSocket, code: number, reason: string): void {
	try {
		ws.close(code, reason);
	} catch {
		// Already closing.
	}
}

function hubError(status: number, code: string, message: string): Response {
	return Response.json({ error: { code, message } }, { status });
}
