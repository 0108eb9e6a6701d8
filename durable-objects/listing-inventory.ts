// ListingInventory: one object per listing, the product lock. Every claim of a listing is serialised
// here; the check (stock left, buyer not already holding it) and the write (hold + outbox rows) happen
// in one synchronous SQLite transaction with nothing awaited in between, so the input/output gates
// make them atomic. Rejections read only and never write.
//
// Its terms (stock, price, hold length) come from D1, the one authority, on the first claim: reading
// them freezes the event's terms in the same D1 transaction (db/terms.ts), so no later edit can make
// D1 and this object disagree. They are kept in the object's own SQLite from then on.
//
// A hold is active while it is `held` before its expiresAt, or `confirmed`. Every count and every
// transition goes by the clock, not by whether the expiry alarm has run yet: a transaction that finds
// holds past their time expires them first (with their outbox rows, exactly once, since the status
// change is conditional), and read-only answers simply do not count them.
//
// Every status change of a hold (grant, confirm, release, cancel, expiry) also writes a `ledger` outbox
// row in its transaction: the event's ledger (event-ledger.ts) gets each change from here, at least
// once and in the order this object made them, whatever happens to this object afterwards.
import { DurableObject } from "cloudflare:workers";
import { freezeListingTerms, type ListingTerms } from "../db/terms";
import type { HoldAddress } from "../lib/hold-id";
import { type HoldRecord, type HoldStatus, isActive } from "../lib/hold-record";
import { holdLedgerInput, type LedgerInput } from "../lib/ledger-chain";
import { serviceOrder, shuffleTicket } from "../lib/shuffle";
import type { Actor } from "../lib/staff-roles";
import { buyerQuotaOf } from "./addresses";
import type { LedgerMessage } from "./event-ledger";
import { pushHoldChanges } from "./feed-push";
import { wakeBy } from "./storage/alarm";
import { all, one } from "./storage/rows";
import { type Migration, migrate } from "./storage/schema";

export type { ListingTerms };

export type ClaimOutcome =
	/**
	 * `soldOutTo`: once no unit is left, the holds that took them (at most `stock`), so the edge can
	 * answer the crowd from a flag — 409, or 200 to a holder retrying — without coming back here.
	 */
	| { kind: "granted"; hold: HoldRecord; created: boolean; soldOutTo: HoldRecord[] | null }
	| { kind: "sold_out"; soldOutTo: HoldRecord[] }
	/** The buyer object already gave this hold id up (see BuyerQuota.reconcile): never grant it. */
	| { kind: "fenced" }
	/** The first claim could not read the terms from D1: nothing granted, nothing written (503). */
	| { kind: "unavailable" }
	/** D1 has no such listing (or event). */
	| { kind: "unknown_listing" };

export type TransitionOutcome =
	| { kind: "ok"; hold: HoldRecord }
	| { kind: "not_found" }
	| { kind: "not_active"; hold: HoldRecord };

interface HoldRow extends Record<string, SqlStorageValue> {
	hold_id: string;
	buyer_id: string;
	status: string;
	expires_at: number | null;
	created_at: number;
	updated_at: number;
	version: number;
}

interface OutboxRow extends Record<string, SqlStorageValue> {
	seq: number;
	target: string;
	body: string;
	attempts: number;
	sends: number;
}

/**
 * Where an outbox row goes: the orders queue (D1, SMS, dashboard), the buyer's quota object, or the
 * event's ledger.
 */
type OutboxTarget = "orders" | "buyer" | "ledger";

/** The body of a `ledger` row: the entry's input, and the ledger it goes to. */
interface LedgerRowBody {
	eventId: string;
	input: LedgerInput;
}

/** What D1 has of a hold, as the orders consumer reports it back: this version or a newer one. */
export interface OrderAck {
	holdId: string;
	version: number;
}

/** An `orders` outbox row D1 has not acknowledged yet (the parity report lists how many). */
export interface UnacknowledgedOrder {
	holdId: string;
	version: number;
	/** How often the queue accepted it so far (0: never sent). */
	sends: number;
}

/** Active holds (see the header) at a time bound as the query's one parameter. */
const ACTIVE_AT = "(status = 'confirmed' OR (status = 'held' AND expires_at > ?))";

/** A grant's outbox row is normally sent within milliseconds; the alarm re-sends it if not. */
const OUTBOX_RETRY_MS = 2_000;
const OUTBOX_MAX_BACKOFF_MS = 60_000;
const OUTBOX_BATCH = 100;
/**
 * An `orders` row the queue accepted stays until D1 acknowledges its version. The queue retries for
 * about five minutes on its own, so a re-send sooner would only duplicate its work; after that the
 * row is sent again with a doubling wait, capped so that D1 catches up within half an hour of coming
 * back, however long it was down.
 */
const RESEND_FIRST_MS = 5 * 60_000;
const RESEND_MAX_MS = 30 * 60_000;

/** The wait before the next send of an `orders` row the queue has now accepted `sends` times. */
export function resendDelay(sends: number): number {
	return Math.min(RESEND_MAX_MS, RESEND_FIRST_MS * 2 ** Math.max(0, sends - 1));
}

/**
 * The inventory's tables, oldest first (see storage/schema.ts): append a migration, never edit one.
 * Version 1 is the DDL from before versioning, kept idempotent for the objects created then.
 */
export const LISTING_INVENTORY_SCHEMA: readonly Migration[] = [
	{
		version: 1,
		up: `
			CREATE TABLE IF NOT EXISTS terms (
				id INTEGER PRIMARY KEY CHECK (id = 1),
				event_id TEXT NOT NULL, listing_id TEXT NOT NULL, stock INTEGER NOT NULL,
				price_cents INTEGER NOT NULL, hold_seconds INTEGER NOT NULL);
			CREATE TABLE IF NOT EXISTS holds (
				hold_id TEXT PRIMARY KEY, buyer_id TEXT NOT NULL, status TEXT NOT NULL,
				expires_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
				version INTEGER NOT NULL);
			CREATE INDEX IF NOT EXISTS holds_by_buyer ON holds (buyer_id, status);
			CREATE INDEX IF NOT EXISTS holds_by_expiry ON holds (status, expires_at);
			CREATE TABLE IF NOT EXISTS fenced (hold_id TEXT PRIMARY KEY);
			CREATE TABLE IF NOT EXISTS outbox (
				seq INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, body TEXT NOT NULL,
				attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL);
		`,
	},
	{
		// `orders` rows are kept after the queue accepted them, until D1 acknowledges their version:
		// `sends` counts the accepted sends (the re-send back-off), `sent_at` the last one.
		version: 2,
		up: `
			ALTER TABLE outbox ADD COLUMN sends INTEGER NOT NULL DEFAULT 0;
			ALTER TABLE outbox ADD COLUMN sent_at INTEGER;
		`,
	},
	{
		// The ledger (issue 11). The outbox table needs no new column (a `ledger` row is a target and a
		// body like the others); what needs doing once is for the holds that changed before this code
		// ran: each gets one `ledger` row of its current state, so that a deploy in the middle of an event
		// leaves no hold out of the ledger. Its earlier changes are gone and are not invented: the row
		// names `system` and says `backfilled`. The key is the live one (hold and version), so the
		// entry is never doubled by a later delivery of the same version.
		version: 3,
		up: (sql) => {
			const terms = one<{ event_id: string; listing_id: string; price_cents: number }>(
				sql,
				"SELECT event_id, listing_id, price_cents FROM terms WHERE id = 1",
			);
			if (!terms) return;
			const now = Date.now();
			for (const row of all<HoldRow>(sql, "SELECT * FROM holds ORDER BY created_at, hold_id")) {
				const hold = holdRecordOf(row, terms.event_id, terms.listing_id, terms.price_cents);
				const input = holdLedgerInput(hold, "system");
				const body: LedgerRowBody = {
					eventId: hold.eventId,
					input: { ...input, data: { ...input.data, backfilled: true } },
				};
				sql.exec(
					"INSERT INTO outbox (target, body, next_attempt_at) VALUES ('ledger', ?, ?)",
					JSON.stringify(body),
					now,
				);
			}
		},
	},
	{
		// The shuffle window (docs/FAIRNESS.md): its seed and end, given at prepare, and the claims
		// collected in it with their tickets, rank and outcome once served (kept: the published order).
		version: 4,
		up: `
			CREATE TABLE IF NOT EXISTS shuffle (
				id INTEGER PRIMARY KEY CHECK (id = 1), ends_at INTEGER NOT NULL, seed TEXT NOT NULL,
				beacon TEXT NOT NULL, served_at INTEGER);
			CREATE TABLE IF NOT EXISTS shuffle_claims (
				hold_id TEXT PRIMARY KEY, buyer_id TEXT NOT NULL, actor TEXT NOT NULL, ticket TEXT NOT NULL,
				arrived_at INTEGER NOT NULL, rank INTEGER, outcome TEXT);
		`,
	},
];

/** A shuffle window as the listing keeps it (docs/FAIRNESS.md "The shuffle window"). */
export interface ShuffleWindow {
	/** Epoch ms: claims that reach this object before it are collected and served in ticket order. */
	endsAt: number;
	seed: string;
	beacon: string;
}

/** One collected claim as served: the published order of a listing's window. */
export interface ShuffleServed {
	holdId: string;
	buyerId: string;
	ticket: string;
	arrivedAt: number;
	rank: number;
	/** `granted` (a new hold), `already_held`, `sold_out`, `fenced` (given up by its buyer object first). */
	outcome: string;
}

interface ShuffleRow extends Record<string, SqlStorageValue> {
	ends_at: number;
	seed: string;
	beacon: string;
	served_at: number | null;
}

interface CollectedRow extends Record<string, SqlStorageValue> {
	hold_id: string;
	buyer_id: string;
	actor: string;
	ticket: string;
	arrived_at: number;
	rank: number | null;
	outcome: string | null;
}

export class ListingInventory extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private terms: ListingTerms | null = null;
	/** The first claims' one D1 read of the terms: claims that arrive meanwhile wait for the same read. */
	private termsLoading: Promise<ListingTerms | null> | null = null;
	/** The window's collected claims waiting in this instance for their outcome, by hold id. */
	private readonly waiting = new Map<string, (outcome: ClaimOutcome) => void>();
	private serveTimer: ReturnType<typeof setTimeout> | null = null;
	/** Test hook (docs/SCALE.md fix 1): how many times this instance read its terms from D1. */
	termsReadsFromD1 = 0;
	private flushing: Promise<void> | null = null;
	private flushAgain = false;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		migrate(ctx.storage, LISTING_INVENTORY_SCHEMA);
		// Ledger rows that no flush of this instance will send (the backfill of migration 3, or rows left
		// by an instance that was evicted while the ledger was down) go with the alarm: make sure one is
		// set, before any request comes in.
		if (one(this.sql, "SELECT 1 AS pending FROM outbox WHERE target = 'ledger' LIMIT 1")) {
			void ctx.blockConcurrencyWhile(() => wakeBy(ctx.storage, Date.now() + OUTBOX_RETRY_MS));
		}
		const row = one<{ event_id: string; listing_id: string; stock: number; price_cents: number; hold_seconds: number }>(
			this.sql,
			"SELECT * FROM terms WHERE id = 1",
		);
		if (row) {
			this.terms = {
				eventId: row.event_id,
				listingId: row.listing_id,
				stock: row.stock,
				priceCents: row.price_cents,
				holdSeconds: row.hold_seconds,
			};
		}
	}

	/**
	 * Grant `holdId` to `buyerId` if a unit is left. Idempotent per hold id and per buyer. `listing` is
	 * this object's own address: the first claim reads the listing's terms from D1 by it.
	 */
	async claim(
		listing: HoldAddress,
		holdId: string,
		buyerId: string,
		actor: Actor = `buyer:${buyerId}`,
	): Promise<ClaimOutcome> {
		let fixed: ListingTerms | null;
		try {
			fixed = this.terms ?? (await this.loadTerms(listing));
		} catch (err) {
			// D1 cannot be read at a first claim: grant nothing rather than guess the terms. The buyer
			// object answers 503 overloaded and the buyer retries; once D1 answers, claims go on.
			console.warn("listing terms could not be read from D1", { ...listing, error: String(err) });
			return { kind: "unavailable" };
		}
		if (!fixed) return { kind: "unknown_listing" };
		// docs/FAIRNESS.md "The shuffle window": inside it, collected and answered when it ends.
		const window = this.shuffleWindow();
		if (window && window.served_at === null) {
			if (Date.now() < window.ends_at) return this.collect(holdId, buyerId, actor, window);
			this.serve();
		}
		const now = Date.now();
		let expired = 0;
		const outcome = this.ctx.storage.transactionSync((): ClaimOutcome => {
			// Holds past their time free their units now, not when the alarm comes round.
			expired = this.expireDue(now);
			return this.decide(holdId, buyerId, actor, now);
		});
		if ((outcome.kind === "granted" && outcome.created) || expired > 0) {
			// Wake for the hold's expiry, or sooner to re-send the outbox if the flush below is lost.
			await wakeBy(this.ctx.storage, now + OUTBOX_RETRY_MS);
			this.flushSoon();
		}
		return outcome;
	}

	/**
	 * One claim's decision, inside the caller's transaction (expired holds already expired): fenced,
	 * the same hold again, the buyer's hold, sold out, or a new hold with its outbox rows.
	 */
	private decide(holdId: string, buyerId: string, actor: Actor, now: number): ClaimOutcome {
		const terms = this.requireTerms();
		{
			if (this.sql.exec("SELECT 1 FROM fenced WHERE hold_id = ?", holdId).toArray().length > 0) {
				return { kind: "fenced" };
			}
			const same = this.findRow(holdId);
			if (same) return { kind: "granted", hold: this.toRecord(same), created: false, soldOutTo: this.soldOutTo(now) };
			const mine = one<HoldRow>(
				this.sql,
				"SELECT * FROM holds WHERE buyer_id = ? AND status IN ('held', 'confirmed') LIMIT 1",
				buyerId,
			);
			if (mine) return { kind: "granted", hold: this.toRecord(mine), created: false, soldOutTo: this.soldOutTo(now) };
			const taken = this.soldOutTo(now);
			if (taken) return { kind: "sold_out", soldOutTo: taken };

			const row: HoldRow = {
				hold_id: holdId,
				buyer_id: buyerId,
				status: "held",
				expires_at: now + terms.holdSeconds * 1000,
				created_at: now,
				updated_at: now,
				version: 1,
			};
			this.sql.exec(
				`INSERT INTO holds (hold_id, buyer_id, status, expires_at, created_at, updated_at, version)
				 VALUES (?, ?, ?, ?, ?, ?, ?)`,
				row.hold_id,
				row.buyer_id,
				row.status,
				row.expires_at,
				row.created_at,
				row.updated_at,
				row.version,
			);
			const hold = this.toRecord(row);
			this.enqueue("orders", hold, now);
			this.enqueueLedger(hold, actor, now);
			return { kind: "granted", hold, created: true, soldOutTo: this.soldOutTo(now) };
		}
	}

	// --- the shuffle window (docs/FAIRNESS.md) ---------------------------------------------------

	private shuffleWindow(): ShuffleRow | undefined {
		return one<ShuffleRow>(this.sql, "SELECT ends_at, seed, beacon, served_at FROM shuffle WHERE id = 1");
	}

	/**
	 * A claim inside the window: its ticket computed and the claim kept (durably: an eviction loses the
	 * waiting call, not the claim, which the alarm serves), answered when the window is served.
	 */
	private async collect(holdId: string, buyerId: string, actor: Actor, window: ShuffleRow): Promise<ClaimOutcome> {
		const ticket = await shuffleTicket(window.seed, window.beacon, buyerId);
		// The window may have been served while the ticket was computed: then this claim goes now.
		if (this.shuffleWindow()?.served_at != null) return this.claimNow(holdId, buyerId, actor);
		this.sql.exec(
			`INSERT OR IGNORE INTO shuffle_claims (hold_id, buyer_id, actor, ticket, arrived_at) VALUES (?, ?, ?, ?, ?)`,
			holdId,
			buyerId,
			actor,
			ticket,
			Date.now(),
		);
		// Waiting from the moment the row exists (before anything is awaited): a serve that runs
		// meanwhile answers it.
		const answered = new Promise<ClaimOutcome>((resolve) => {
			const before = this.waiting.get(holdId);
			// The same hold id twice (a buyer object's retry): both calls get the one outcome.
			this.waiting.set(holdId, (outcome) => {
				before?.(outcome);
				resolve(outcome);
			});
		});
		if (!this.serveTimer) {
			this.serveTimer = setTimeout(() => this.serve(), Math.max(0, window.ends_at - Date.now()));
		}
		await wakeBy(this.ctx.storage, window.ends_at);
		return answered;
	}

	/** A claim after the window was served: the ordinary path. */
	private async claimNow(holdId: string, buyerId: string, actor: Actor): Promise<ClaimOutcome> {
		const terms = this.requireTerms();
		return this.claim({ eventId: terms.eventId, listingId: terms.listingId }, holdId, buyerId, actor);
	}

	/**
	 * Serves the window once: every collected claim in ticket order (lib/shuffle.ts), each decided as a
	 * claim arriving in that order would be, in one transaction; then answers the waiting calls.
	 */
	private serve(): void {
		if (this.serveTimer) clearTimeout(this.serveTimer);
		this.serveTimer = null;
		const now = Date.now();
		const outcomes = new Map<string, ClaimOutcome>();
		let changed = false;
		this.ctx.storage.transactionSync(() => {
			const window = this.shuffleWindow();
			if (!window || window.served_at !== null) return;
			changed = this.expireDue(now) > 0;
			const rows = all<CollectedRow>(this.sql, "SELECT * FROM shuffle_claims WHERE rank IS NULL");
			const ordered = serviceOrder(rows.map((r) => ({ ...r, holdId: r.hold_id, buyerId: r.buyer_id })));
			for (const [rank, row] of ordered.entries()) {
				const outcome = this.decide(row.hold_id, row.buyer_id, row.actor as Actor, now);
				if (outcome.kind === "granted" && outcome.created) changed = true;
				outcomes.set(row.hold_id, outcome);
				this.sql.exec(
					"UPDATE shuffle_claims SET rank = ?, outcome = ? WHERE hold_id = ?",
					rank,
					outcomeName(outcome),
					row.hold_id,
				);
			}
			this.sql.exec("UPDATE shuffle SET served_at = ? WHERE id = 1", now);
		});
		for (const [holdId, outcome] of outcomes) {
			this.waiting.get(holdId)?.(outcome);
			this.waiting.delete(holdId);
		}
		if (changed) {
			this.ctx.waitUntil(wakeBy(this.ctx.storage, now + OUTBOX_RETRY_MS));
			this.flushSoon();
		}
	}

	/** The window's published order (public once served; null before, or without a window). */
	async shuffleOrder(): Promise<{ endsAt: number; servedAt: number; claims: ShuffleServed[] } | null> {
		const window = this.shuffleWindow();
		if (!window || window.served_at === null) return null;
		const claims = all<CollectedRow>(this.sql, "SELECT * FROM shuffle_claims ORDER BY rank").map((r) => ({
			holdId: r.hold_id,
			buyerId: r.buyer_id,
			ticket: r.ticket,
			arrivedAt: r.arrived_at,
			rank: r.rank ?? -1,
			outcome: r.outcome ?? "",
		}));
		return { endsAt: window.ends_at, servedAt: window.served_at, claims };
	}

	/**
	 * The opening's preparation (worker/opening/prepare.ts): the terms as D1 froze them, handed over
	 * before the first claim, so that the first claim reads nothing from D1. Creates the object (and its
	 * database) now, where the caller's stub placed it. Terms already kept win: D1 froze them before
	 * either copy was read, so both are the same. Answers the terms this object keeps.
	 */
	async prepare(terms: ListingTerms, shuffle: ShuffleWindow | null = null): Promise<ListingTerms> {
		const kept = this.fixTerms(terms);
		// The window is set once (its seed was checked against the event's commitment): never moved.
		if (shuffle) {
			this.sql.exec(
				"INSERT OR IGNORE INTO shuffle (id, ends_at, seed, beacon) VALUES (1, ?, ?, ?)",
				shuffle.endsAt,
				shuffle.seed,
				shuffle.beacon,
			);
		}
		return kept;
	}

	/** Read-only: the holds that fill the stock, or null while a unit is left (the edge's flag renewal). */
	async peek(): Promise<HoldRecord[] | null> {
		return this.terms ? this.soldOutTo(Date.now()) : null;
	}

	/**
	 * One hold as it stands now, its time taken into account: holds past their expiresAt are expired
	 * first (with their outbox rows, exactly once). The buyer object asks this of a hold its own copy
	 * shows as lapsed, since only this object knows whether staff confirmed it just before its time.
	 */
	async currentHold(holdId: string): Promise<HoldRecord | null> {
		const now = Date.now();
		const expired = this.ctx.storage.transactionSync(() => this.expireDue(now));
		if (expired > 0) {
			await wakeBy(this.ctx.storage, now + OUTBOX_RETRY_MS);
			this.flushSoon();
		}
		const row = this.findRow(holdId);
		return row ? this.toRecord(row) : null;
	}

	/** Read-only: one hold as it stands (a hold past its time shows as `held` until something expires it). */
	async holdOf(holdId: string): Promise<HoldRecord | null> {
		const row = this.findRow(holdId);
		return row ? this.toRecord(row) : null;
	}

	/** The buyer gives the hold back. Only the holder may; only a `held` hold can be cancelled. */
	async cancel(holdId: string, buyerId: string): Promise<TransitionOutcome> {
		const row = this.findRow(holdId);
		if (!row || row.buyer_id !== buyerId) return { kind: "not_found" };
		return this.transition(holdId, "held", "cancelled", `buyer:${buyerId}`);
	}

	/**
	 * Staff received the deposit: the unit is sold. Confirming twice is not an error (and records
	 * nothing the second time). `actor` is who confirmed it, as the ledger names them.
	 */
	async confirm(holdId: string, actor: Actor): Promise<TransitionOutcome> {
		const row = this.findRow(holdId);
		if (row?.status === "confirmed") return { kind: "ok", hold: this.toRecord(row) };
		return this.transition(holdId, "held", "confirmed", actor);
	}

	/** Staff release: the unit is available again at once. `actor` is who released it. */
	async release(holdId: string, actor: Actor): Promise<TransitionOutcome> {
		return this.transition(holdId, "held", "released", actor);
	}

	/**
	 * Called by a buyer object that lost track of a claim it reserved quota for. Either the hold exists
	 * (and is returned), or the hold id is fenced so that a claim still in flight can never grant it.
	 * The object serialises both calls, so exactly one of the two happens first.
	 */
	async resolve(holdId: string): Promise<HoldRecord | null> {
		const row = this.findRow(holdId);
		if (row) return this.toRecord(row);
		this.sql.exec("INSERT OR IGNORE INTO fenced (hold_id) VALUES (?)", holdId);
		return null;
	}

	/** Read model for staff tools and tests: the terms and every hold, newest first. */
	async snapshot(): Promise<{ terms: ListingTerms | null; available: number | null; holds: HoldRecord[] }> {
		const holds = this.sql
			.exec<HoldRow>("SELECT * FROM holds ORDER BY created_at DESC")
			.toArray()
			.map((r) => this.toRecord(r));
		const available = this.terms ? Math.max(0, this.terms.stock - this.activeCount(Date.now())) : null;
		return { terms: this.terms, available, holds };
	}

	/**
	 * The orders consumer's report: D1 has these holds at (at least) these versions, so their `orders`
	 * rows up to that version are done. Best-effort by design: a lost report only means the row is
	 * sent once more, which D1 ignores. Answers how many rows it removed.
	 */
	async acknowledge(acks: readonly OrderAck[]): Promise<number> {
		let removed = 0;
		this.ctx.storage.transactionSync(() => {
			for (const ack of acks) {
				removed += this.sql.exec(
					`DELETE FROM outbox WHERE target = 'orders'
					 AND json_extract(body, '$.holdId') = ? AND json_extract(body, '$.version') <= ?`,
					ack.holdId,
					ack.version,
				).rowsWritten;
			}
		});
		return removed;
	}

	/**
	 * The ledger consumer's report (queue-consumers/ledger.ts): the ledger has every `ledger` row up to
	 * `upToSeq`. Deletes them and sends the rows that waited behind them. Answers how many it deleted.
	 */
	async ledgerDelivered(upToSeq: number): Promise<number> {
		const removed = this.sql.exec("DELETE FROM outbox WHERE target = 'ledger' AND seq <= ?", upToSeq).rowsWritten;
		if (one(this.sql, "SELECT 1 AS pending FROM outbox WHERE target = 'ledger' LIMIT 1")) {
			// The rows behind were written due (or backed off): make the first one due now.
			this.sql.exec(
				`UPDATE outbox SET next_attempt_at = min(next_attempt_at, ?)
				 WHERE seq = (SELECT min(seq) FROM outbox WHERE target = 'ledger') AND sends = 0`,
				Date.now(),
			);
			this.flushSoon();
		}
		return removed;
	}

	/**
	 * For the reconciler and the parity report: every hold (its current version) and the `orders`
	 * rows D1 has not acknowledged. Reads only.
	 */
	async orderState(): Promise<{ holds: HoldRecord[]; unacknowledged: UnacknowledgedOrder[] }> {
		const holds = this.terms
			? this.sql
					.exec<HoldRow>("SELECT * FROM holds ORDER BY created_at")
					.toArray()
					.map((r) => this.toRecord(r))
			: [];
		const unacknowledged = this.sql
			.exec<{ hold_id: string; version: number; sends: number }>(
				`SELECT json_extract(body, '$.holdId') AS hold_id, json_extract(body, '$.version') AS version, sends
				 FROM outbox WHERE target = 'orders' ORDER BY seq`,
			)
			.toArray()
			.map((r) => ({ holdId: r.hold_id, version: r.version, sends: r.sends }));
		return { holds, unacknowledged };
	}

	/**
	 * The reconciler found D1 without these holds, or behind them: send their current version now.
	 * An `orders` row of that version is made due at once, or written anew when none is left (an
	 * object from before rows were kept until acknowledged). Unknown hold ids are ignored. Answers
	 * how many holds it queued.
	 */
	async resend(holdIds: readonly string[]): Promise<number> {
		const now = Date.now();
		let queued = 0;
		this.ctx.storage.transactionSync(() => {
			for (const holdId of holdIds) {
				const row = this.findRow(holdId);
				if (!row) continue;
				const pending = this.sql.exec(
					`UPDATE outbox SET next_attempt_at = ? WHERE target = 'orders'
					 AND json_extract(body, '$.holdId') = ? AND json_extract(body, '$.version') = ?`,
					now,
					holdId,
					row.version,
				).rowsWritten;
				if (pending === 0) this.enqueue("orders", this.toRecord(row), now);
				queued += 1;
			}
		});
		if (queued > 0) {
			await wakeBy(this.ctx.storage, now + OUTBOX_RETRY_MS);
			this.flushSoon();
		}
		return queued;
	}

	/** Expires due holds, then re-sends whatever the outbox still holds. Safe to run at any time. */
	override async alarm(): Promise<void> {
		const window = this.shuffleWindow();
		// Claims collected by an instance that is gone are served here (their callers reconcile).
		if (window && window.served_at === null && Date.now() >= window.ends_at) this.serve();
		const now = Date.now();
		this.ctx.storage.transactionSync(() => this.expireDue(now));
		this.flushSoon();
		await this.flushing;
		await this.scheduleNextWake();
	}

	// --- internals -------------------------------------------------------------------------------

	/** The terms from D1 (freezing the event's), kept here; one read however many claims wait for it. */
	private async loadTerms(listing: HoldAddress): Promise<ListingTerms | null> {
		if (!this.termsLoading) this.termsReadsFromD1 += 1;
		this.termsLoading ??= freezeListingTerms(this.env, listing.eventId, listing.listingId, new Date().toISOString())
			.then((terms) => terms && this.fixTerms(terms))
			.finally(() => {
				this.termsLoading = null;
			});
		return this.termsLoading;
	}

	private fixTerms(terms: ListingTerms): ListingTerms {
		if (this.terms) return this.terms;
		this.sql.exec(
			"INSERT INTO terms (id, event_id, listing_id, stock, price_cents, hold_seconds) VALUES (1, ?, ?, ?, ?, ?)",
			terms.eventId,
			terms.listingId,
			terms.stock,
			terms.priceCents,
			terms.holdSeconds,
		);
		this.terms = { ...terms };
		return this.terms;
	}

	private requireTerms(): ListingTerms {
		if (!this.terms) throw new Error("listing inventory used before its first claim");
		return this.terms;
	}

	/** The holds active at `now` when they fill the stock; null while a unit is left. Reads only. */
	private soldOutTo(now: number): HoldRecord[] | null {
		const active = all<HoldRow>(this.sql, `SELECT * FROM holds WHERE ${ACTIVE_AT}`, now);
		return active.length >= this.requireTerms().stock ? active.map((r) => this.toRecord(r)) : null;
	}

	private activeCount(now: number): number {
		return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM holds WHERE ${ACTIVE_AT}`, now).one().n;
	}

	/**
	 * Expires every `held` hold whose time has come, each with its outbox rows. Runs inside the caller's
	 * transaction, before anything that counts or changes holds; returns how many it expired (the
	 * caller then flushes the outbox).
	 */
	private expireDue(now: number): number {
		const due = all<HoldRow>(
			this.sql,
			"SELECT * FROM holds WHERE status = 'held' AND expires_at <= ? ORDER BY expires_at",
			now,
		);
		for (const row of due) this.move(row, "expired", now, "system");
		return due.length;
	}

	private findRow(holdId: string): HoldRow | undefined {
		return one<HoldRow>(this.sql, "SELECT * FROM holds WHERE hold_id = ?", holdId);
	}

	private async transition(holdId: string, from: HoldStatus, to: HoldStatus, actor: Actor): Promise<TransitionOutcome> {
		const now = Date.now();
		let expired = 0;
		const outcome = this.ctx.storage.transactionSync((): TransitionOutcome => {
			// A hold past its time is expired first: confirming it now would sell a unit it no longer has.
			expired = this.expireDue(now);
			const row = this.findRow(holdId);
			if (!row) return { kind: "not_found" };
			if (row.status !== from) return { kind: "not_active", hold: this.toRecord(row) };
			return { kind: "ok", hold: this.move(row, to, now, actor) };
		});
		if (outcome.kind === "ok" || expired > 0) {
			await wakeBy(this.ctx.storage, now + OUTBOX_RETRY_MS);
			this.flushSoon();
		}
		return outcome;
	}

	/**
	 * One status change of one hold, with its outbox rows; inside the caller's transaction. Conditional
	 * on the status it was read with, so it happens once however many callers race for it. `actor` is
	 * who made the change, for the ledger.
	 */
	private move(row: HoldRow, to: HoldStatus, now: number, actor: Actor): HoldRecord {
		const next: HoldRow = { ...row, status: to, expires_at: null, updated_at: now, version: row.version + 1 };
		this.sql.exec(
			"UPDATE holds SET status = ?, expires_at = NULL, updated_at = ?, version = ? WHERE hold_id = ? AND status = ?",
			to,
			now,
			next.version,
			row.hold_id,
			row.status,
		);
		const hold = this.toRecord(next);
		this.enqueue("orders", hold, now);
		// The buyer object counts this hold against the quota; tell it the hold is confirmed or over.
		this.enqueue("buyer", hold, now);
		this.enqueueLedger(hold, actor, now);
		return hold;
	}

	/** The ledger's row of one change, in the transaction of the change itself (see the header). */
	private enqueueLedger(hold: HoldRecord, actor: Actor, now: number): void {
		const body: LedgerRowBody = { eventId: hold.eventId, input: holdLedgerInput(hold, actor) };
		this.sql.exec(
			"INSERT INTO outbox (target, body, next_attempt_at) VALUES ('ledger', ?, ?)",
			JSON.stringify(body),
			now,
		);
	}

	private enqueue(target: OutboxTarget, hold: HoldRecord, now: number): void {
		this.sql.exec(
			"INSERT INTO outbox (target, body, next_attempt_at) VALUES (?, ?, ?)",
			target,
			JSON.stringify(hold),
			now,
		);
	}

	private toRecord(row: HoldRow): HoldRecord {
		const terms = this.requireTerms();
		return holdRecordOf(row, terms.eventId, terms.listingId, terms.priceCents);
	}

	/** Single-flight: a request made while a flush runs makes that flush go round once more. */
	private flushSoon(): void {
		if (this.flushing) {
			this.flushAgain = true;
			return;
		}
		this.flushing = (async () => {
			try {
				do {
					this.flushAgain = false;
					await this.flush();
				} while (this.flushAgain);
			} finally {
				this.flushing = null;
			}
		})();
		this.ctx.waitUntil(this.flushing);
	}

	/**
	 * Drains the outbox. A `buyer` row is deleted once the buyer object applied it (the RPC's answer is
	 * its acknowledgement), a `ledger` row once the ledger appended it (one RPC for all of them). An
	 * `orders` row is kept after the queue accepted it: the queue's consumer
	 * and its dead-letter path both need D1, so only D1 having the version ends the row (`acknowledge`);
	 * until then the alarm sends it again after `resendDelay`. A failed send backs off in seconds. At
	 * least once, then; every receiver is idempotent by hold id and version.
	 */
	private async flush(): Promise<void> {
		for (;;) {
			const now = Date.now();
			const rows = [
				...all<OutboxRow>(
					this.sql,
					`SELECT seq, target, body, attempts, sends FROM outbox
					 WHERE target != 'ledger' AND next_attempt_at <= ? ORDER BY seq LIMIT ?`,
					now,
					OUTBOX_BATCH,
				),
				...this.dueLedgerRows(now),
			];
			if (rows.length === 0) return;
			this.pushToDashboard(rows);
			const delivered = await this.deliver(rows);
			for (const row of rows) {
				if (delivered.has(row.seq) && (row.target === "orders" || row.target === "ledger")) {
					// Kept until its receiver has it: D1 for an `orders` row (acknowledge), the ledger for
					// a `ledger` row (ledgerDelivered). A sent `ledger` row, first in line and not due,
					// holds back the rows after it: one batch of this listing in flight at a time.
					const next = now + resendDelay(row.sends + 1);
					this.sql.exec(
						"UPDATE outbox SET sends = sends + 1, sent_at = ?, attempts = 0, next_attempt_at = ? WHERE seq = ?",
						now,
						next,
						row.seq,
					);
					await wakeBy(this.ctx.storage, next);
				} else if (delivered.has(row.seq)) {
					this.sql.exec("DELETE FROM outbox WHERE seq = ?", row.seq);
				} else {
					const backoff = Math.min(OUTBOX_MAX_BACKOFF_MS, OUTBOX_RETRY_MS * 2 ** row.attempts);
					this.sql.exec(
						"UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE seq = ?",
						now + backoff,
						row.seq,
					);
					await wakeBy(this.ctx.storage, now + backoff);
				}
			}
		}
	}

	/**
	 * The `ledger` rows to send now, oldest first: all of them up to a batch, but only when the oldest
	 * is due. The ledger must get one hold's changes in the order they happened (its last entry of a
	 * hold is the hold's status), so a row that failed holds back every row after it, as in a queue;
	 * every batch is a prefix of the rows, so even a batch sent twice (an eviction mid-call) keeps the
	 * order, and the ledger's keys drop the repeats.
	 */
	private dueLedgerRows(now: number): OutboxRow[] {
		const first = one<{ next_attempt_at: number }>(
			this.sql,
			"SELECT next_attempt_at FROM outbox WHERE target = 'ledger' ORDER BY seq LIMIT 1",
		);
		if (!first || first.next_attempt_at > now) return [];
		return all<OutboxRow>(
			this.sql,
			"SELECT seq, target, body, attempts, sends FROM outbox WHERE target = 'ledger' ORDER BY seq LIMIT ?",
			OUTBOX_BATCH,
		);
	}

	/** Sends each kind of row its own way, at the same time; answers the rows that were taken. */
	private async deliver(rows: OutboxRow[]): Promise<Set<number>> {
		const delivered = new Set<number>();
		const toOrders = async () => {
			const orders = rows.filter((r) => r.target === "orders");
			if (orders.length === 0) return;
			try {
				await this.env.ORDERS_QUEUE.sendBatch(orders.map((r) => ({ body: JSON.parse(r.body) as HoldRecord })));
				for (const r of orders) delivered.add(r.seq);
			} catch (err) {
				console.warn("orders queue send failed; the alarm will re-send", { error: String(err) });
			}
		};
		const toBuyers = async () => {
			for (const r of rows.filter((row) => row.target === "buyer")) {
				const hold = JSON.parse(r.body) as HoldRecord;
				try {
					await buyerQuotaOf(this.env, hold.eventId, hold.buyerId).applyHold(hold);
					delivered.add(r.seq);
				} catch (err) {
					console.warn("buyer quota update failed; the alarm will re-send", { error: String(err) });
				}
			}
		};
		const toLedger = async () => {
			const ledger = rows.filter((r) => r.target === "ledger");
			const first = ledger[0];
			if (!first) return;
			// Every row of this object is of its one event: one RPC carries the whole batch.
			const { eventId } = JSON.parse(first.body) as LedgerRowBody;
			const inputs = ledger.map((r) => (JSON.parse(r.body) as LedgerRowBody).input);
			// docs/SCALE.md fix 7: one queue message per flush; the ledger consumer appends the messages
			// of many listings in one RPC and then reports back (ledgerDelivered), which deletes the rows.
			const message: LedgerMessage = {
				eventId,
				listingId: this.terms?.listingId ?? "",
				upToSeq: ledger.at(-1)?.seq ?? 0,
				inputs,
			};
			try {
				await this.env.LEDGER_QUEUE.send(message);
				for (const r of ledger) delivered.add(r.seq);
			} catch (err) {
				console.warn("ledger queue send failed; the alarm will re-send", { eventId, error: String(err) });
			}
		};
		await Promise.all([toOrders(), toBuyers(), toLedger()]);
		return delivered;
	}

	/**
	 * Live pages see a change within the second only if told now: the queue path waits for its batch
	 * window and a D1 write. Each change goes to its listing's feed input (feed-push.ts). Best-effort (the
	 * inputs re-read D1 when a subscriber joins, the queue path follows and an input keeps the higher
	 * version), so a failure is logged, never retried.
	 */
	private pushToDashboard(rows: OutboxRow[]): void {
		const changes = rows
			.filter((r) => r.target === "orders")
			.map((r) => JSON.parse(r.body) as HoldRecord)
			.map((h) => ({ holdId: h.holdId, listingId: h.listingId, status: h.status, version: h.version }));
		const eventId = this.terms?.eventId;
		if (changes.length === 0 || !eventId) return;
		this.ctx.waitUntil(pushHoldChanges(this.env, eventId, changes));
	}

	private async scheduleNextWake(): Promise<void> {
		const nextExpiry = this.sql
			.exec<{ t: number | null }>("SELECT min(expires_at) AS t FROM holds WHERE status = 'held'")
			.one().t;
		const nextSend = this.sql
			.exec<{ t: number | null }>("SELECT min(next_attempt_at) AS t FROM outbox WHERE target != 'ledger'")
			.one().t;
		// The ledger's rows go in order: only the oldest one's time counts (dueLedgerRows).
		const nextLedger =
			one<{ t: number }>(
				this.sql,
				"SELECT next_attempt_at AS t FROM outbox WHERE target = 'ledger' ORDER BY seq LIMIT 1",
			)?.t ?? null;
		const window = this.shuffleWindow();
		const serveAt = window && window.served_at === null ? window.ends_at : null;
		const candidates = [nextExpiry, nextSend, nextLedger, serveAt].filter((t): t is number => t !== null);
		if (candidates.length > 0) await wakeBy(this.ctx.storage, Math.min(...candidates));
	}
}

function outcomeName(outcome: ClaimOutcome): string {
	if (outcome.kind === "granted") return outcome.created ? "granted" : "already_held";
	return outcome.kind;
}

function holdRecordOf(row: HoldRow, eventId: string, listingId: string, priceCents: number): HoldRecord {
	return {
		holdId: row.hold_id,
		eventId,
		listingId,
		buyerId: row.buyer_id,
		status: row.status as HoldStatus,
		priceCents,
		expiresAt: isActive(row.status as HoldStatus) ? row.expires_at : null,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		version: row.version,
	};
}
