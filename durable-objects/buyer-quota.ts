// BuyerQuota: one object per buyer and event. It guards two things that must be decided in one place:
// the buyer's single live session (a new login revokes the old one) and the purchase limit across all
// listings. It also runs the buyer's claims (protocol v2, docs/PROTOCOL.md): the worker makes one call
// per claim, here; this object runs its buyer's claims one at a time, writes a pending row before it
// calls the listing's inventory object, and settles it with the answer. Nothing is shared between two
// requests. A pending row whose claim never reported back (the object restarted mid-call) is
// reconciled by fencing its hold id at the inventory object, retried with back-off until it succeeds.
//
// The buyer's limit comes from D1, the one authority: the first claim reads the event's perBuyerLimit
// and freezes the event's terms in the same D1 transaction (db/terms.ts), so it never changes after
// and is kept here. A `held` hold past its expiresAt no longer counts, whether or not its inventory
// object has told this one yet.
//
// It also keeps the buyer's wish list (收藏, API.md v1.1), the authoritative copy (D1 has a copy for
// the heat map), and runs auto-claim from its alarm: at the buyer's entry time plus the event's delay,
// a buyer who holds nothing is given its first wish still available, as one more claim in the same
// queue as the buyer's own (so never over the limit, whatever the buyer does at that moment), under
// actor `system`, at most once (docs/API.md "Auto-claim").
import { DurableObject } from "cloudflare:workers";
import { NONCE_MEMORY_MS } from "../client/signing";
import { entryTimeOf } from "../db/entry-time";
import { type BuyerRules, freezeBuyerRules } from "../db/terms";
import { upsertWishlistCopy } from "../db/wishlists";
import { autoClaimStep } from "../lib/auto-claim";
import { randomId } from "../lib/crypto";
import { newHoldId } from "../lib/hold-id";
import type { HoldRecord, HoldStatus } from "../lib/hold-record";
import type { Actor } from "../lib/staff-roles";
import { withinTime } from "../lib/within-time";
import { dashboardHubOf, listingInventoryOf } from "./addresses";
import type { ClaimOutcome } from "./listing-inventory";
import { wakeBy } from "./storage/alarm";
import { all, one } from "./storage/rows";
import { type Migration, migrate } from "./storage/schema";

export type BuyerHoldStatus = "pending" | HoldStatus;

export interface BuyerHold {
	holdId: string;
	listingId: string;
	status: BuyerHoldStatus;
	expiresAt: number | null;
	/** Auto-claim made this hold (docs/API.md: `"auto": true` in /api/me/holds). */
	auto?: boolean;
}

/** The buyer's wish list as the API shows it. */
export interface Wishlist {
	listingIds: string[];
	autoClaim: boolean;
}

/** A wish list to store, with the times the edge computed from the event (epoch ms). */
export interface WishlistInput extends Wishlist {
	/** The buyer's entry time: from then on the list is locked (null: not known yet, lottery undrawn). */
	lockAt: number | null;
	/** When auto-claim is expected to be due (re-checked from D1 when the alarm fires). */
	dueAt: number;
}

export type WishlistOutcome =
	| { kind: "saved"; wishlist: Wishlist }
	| { kind: "session_revoked" }
	| { kind: "event_locked"; lockAt: number };

/** How the buyer's auto-claim ended, or that it is still armed (`state`), for tests and support. */
export interface AutoClaimState {
	state: "off" | "armed" | "done";
	wakeAt: number | null;
	outcome: string | null;
	holdId: string | null;
}

/** Why a signed request is refused before it may do anything (see `admit`). */
export type Refusal =
	| { kind: "session_revoked" }
	| { kind: "replayed_nonce" }
	| { kind: "rate_limited"; retryAfterSeconds: number };

/** Everything a claim can come to, as the worker maps it onto API.md's answers. */
export type BuyerClaimOutcome =
	| Refusal
	| { kind: "limit_reached"; perBuyerLimit: number }
	/** `created` false: the buyer already held this listing (a retry, a double click). */
	| { kind: "held"; hold: BuyerHold; created: boolean; soldOutTo: HoldRecord[] | null }
	| { kind: "sold_out"; soldOutTo: HoldRecord[] }
	/**
	 * The inventory did not answer in time (saturated), refused the hold id (fenced), or D1 could not
	 * be read for the terms at a first claim: nothing was granted.
	 */
	| { kind: "overloaded" }
	/** D1 has no such listing in the buyer's event. */
	| { kind: "not_found" }
	/** A lottery event: the buyer's entryAt (epoch ms, `notBefore`) has not come yet. Nothing written. */
	| { kind: "not_your_turn"; entryAt: number };

/** How a claim runs, beside the signed attempt. The terms are never the edge's: see the header. */
export interface ClaimOptions {
	/** How long a pending row may wait for its inventory answer before reconciliation looks at it. */
	leaseMs: number;
	/**
	 * The event's rules as the edge's copy of the event has them, passed only when that copy says the
	 * terms are frozen: frozen rules never change, so such a copy is exact however old it is, and the
	 * buyer's first claim needs no D1 round trip. Without it the first claim reads D1 (and freezes).
	 */
	frozenRules?: BuyerRules;
	/**
	 * A lottery event: the buyer's entryAt (epoch ms), from the published order, which never changes
	 * after the reveal. The edge refuses earlier claims already; this object checks again with its own
	 * clock when the claim's turn in its queue comes, so no claim runs before it (guarantee 8).
	 */
	notBefore?: number;
	/**
	 * Who the ledger names for the grant: the buyer (`buyer:<buyerId>`, the default) or, for a claim
	 * the system makes on the buyer's behalf (auto-claim), `system`.
	 */
	actor?: Actor;
}

/**
 * Where a test can stop a claim or make it fail (test-only; unset in production): after the pending row
 * is written and before the inventory call, after the inventory answered but before the answer is
 * settled here, and before reconciliation asks the inventory to resolve a hold id (a rejection there
 * stands for an unreachable inventory).
 */
export type ClaimPausePoint = "before_inventory" | "before_settle" | "before_resolve";
export interface ClaimHooks {
	pause(point: ClaimPausePoint, holdId: string): Promise<void>;
}

/** A new session: the buyer's only one from now on. */
export interface LoginOutcome {
	sessionId: string;
	expiresAt: number;
}

/** What the worker has already checked at the edge and hands over with a signed request. */
export interface SignedAttempt {
	sessionId: string;
	nonce: string;
	/** Claims allowed per 10 s for this buyer across every isolate (BUYER_CLAIMS_PER_10S). */
	claimsPer10s?: number;
}

interface ReservationRow extends Record<string, SqlStorageValue> {
	hold_id: string;
	listing_id: string;
	status: string;
	expires_at: number | null;
	lease_until: number | null;
	version: number;
	attempts: number;
	auto: number;
}

/**
 * Rows that count against the limit: pending, held and confirmed. A `held` row past its expiresAt still
 * counts until its inventory object has said how it ended (settleLapsed asks it before every check).
 */
const COUNTED = "status IN ('pending', 'held', 'confirmed')";
const CLAIM_WINDOW_MS = 10_000;
/**
 * How long a claim waits for the inventory before this object answers `overloaded` and takes the
 * buyer's next claim. Below the worker's CLAIM_TIMEOUT_MS, so the buyer hears this answer, not a
 * timeout. The call goes on: its answer is settled whenever it comes (no extra write on a saturated
 * object), and until then its pending row counts against the limit.
 */
export const INVENTORY_WAIT_MS = 2_500;
/** After this long without an answer, an inventory call is presumed lost and its row reconciled. */
const IN_FLIGHT_MAX_MS = 30_000;
/** Reconciliation retries with back-off and never gives up while a pending row exists. */
const RECONCILE_MAX_BACKOFF_MS = 60_000;

/**
 * The buyer object's tables, oldest first (see storage/schema.ts): append a migration, never edit one.
 * Version 1 is the DDL from before versioning, kept idempotent for the objects created then.
 */
export const BUYER_QUOTA_SCHEMA: readonly Migration[] = [
	{
		version: 1,
		up: `
			CREATE TABLE IF NOT EXISTS identity (
				id INTEGER PRIMARY KEY CHECK (id = 1), event_id TEXT NOT NULL, buyer_id TEXT NOT NULL);
			CREATE TABLE IF NOT EXISTS session (
				id INTEGER PRIMARY KEY CHECK (id = 1), session_id TEXT, expires_at INTEGER);
			CREATE TABLE IF NOT EXISTS reservations (
				hold_id TEXT PRIMARY KEY, listing_id TEXT NOT NULL, status TEXT NOT NULL,
				expires_at INTEGER, lease_until INTEGER, version INTEGER NOT NULL DEFAULT 0,
				updated_at INTEGER NOT NULL);
			CREATE INDEX IF NOT EXISTS reservations_by_status ON reservations (status, lease_until);
			CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, seen_at INTEGER NOT NULL);
			CREATE TABLE IF NOT EXISTS login_failures (at INTEGER NOT NULL);
			CREATE INDEX IF NOT EXISTS nonces_by_age ON nonces (seen_at);
		`,
	},
	{
		// Protocol v2: reconciliation counts its failed attempts to back off, never to give up.
		version: 2,
		up: "ALTER TABLE reservations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;",
	},
	{
		// The event's rules as D1 froze them at this buyer's first claim (never the edge's copy).
		version: 3,
		up: "CREATE TABLE rules (id INTEGER PRIMARY KEY CHECK (id = 1), per_buyer_limit INTEGER NOT NULL);",
	},
	{
		// Wish lists and auto-claim (API.md v1.1): the list (version counts its writes, copied_version is
		// the last one D1 has), the auto-claim's state, and which reservation auto-claim made.
		version: 4,
		up: `
			CREATE TABLE wishlist (
				id INTEGER PRIMARY KEY CHECK (id = 1), listing_ids TEXT NOT NULL, auto_claim INTEGER NOT NULL,
				version INTEGER NOT NULL, updated_at INTEGER NOT NULL, copied_version INTEGER NOT NULL DEFAULT 0);
			CREATE TABLE auto_claim (
				id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL, wake_at INTEGER,
				outcome TEXT, hold_id TEXT, finished_at INTEGER);
			ALTER TABLE reservations ADD COLUMN auto INTEGER NOT NULL DEFAULT 0;
		`,
	},
];

/** A D1 copy of the wish list that failed is written again this soon (the alarm; never given up). */
const WISH_COPY_RETRY_MS = 5_000;
/** An auto-claim whose claim did not complete (overloaded, fenced, in flight) looks again this soon. */
const AUTO_CLAIM_RETRY_MS = 2_000;

export class BuyerQuota extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	/** Recent claim times; memory is enough for a rate limit (an eviction only forgives a little). */
	private claimTimes: number[] = [];
	/** The tail of this buyer's claims: each one starts when the one before it has answered. */
	private claimQueue: Promise<unknown> = Promise.resolve();
	/** Hold ids whose inventory call this instance is still waiting for, and since when. */
	private readonly inFlight = new Map<string, number>();
	/** Test-only: see ClaimHooks. */
	hooks: ClaimHooks | null = null;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		migrate(ctx.storage, BUYER_QUOTA_SCHEMA);
	}

	/**
	 * A login whose access code the worker has already found right: it starts the buyer's only session
	 * and revokes every earlier one from this moment on. Wrong codes never reach the object (issue 10):
	 * guesses are limited at the edge per address, and nothing an attacker sends can lock the buyer out.
	 * (The login_failures table of schema version 1 is no longer written.)
	 */
	async login(eventId: string, buyerId: string, ttlMs: number): Promise<LoginOutcome> {
		const now = Date.now();
		const previous = one<{ session_id: string | null }>(this.sql, "SELECT session_id FROM session WHERE id = 1");
		const sessionId = randomId("s", 24);
		const expiresAt = now + ttlMs;
		this.sql.exec(
			"INSERT INTO identity (id, event_id, buyer_id) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
			eventId,
			buyerId,
		);
		this.sql.exec(
			`INSERT INTO session (id, session_id, expires_at) VALUES (1, ?, ?)
			 ON CONFLICT (id) DO UPDATE SET session_id = excluded.session_id, expires_at = excluded.expires_at`,
			sessionId,
			expiresAt,
		);
		// Live sockets of the replaced session close now, not when they next ask (a first login has none).
		if (previous?.session_id) await this.endLiveSessions(eventId, buyerId, sessionId);
		return { sessionId, expiresAt };
	}

	async logout(sessionId: string): Promise<void> {
		if (!this.isCurrent(sessionId)) return;
		this.sql.exec("UPDATE session SET session_id = NULL WHERE id = 1");
		const identity = one<{ event_id: string; buyer_id: string }>(
			this.sql,
			"SELECT event_id, buyer_id FROM identity WHERE id = 1",
		);
		if (identity) await this.endLiveSessions(identity.event_id, identity.buyer_id, null);
	}

	/**
	 * Tells the event's hub to close this buyer's sockets of every session but `keep`. Best-effort: the
	 * session is already revoked here, and the hub refuses nothing on its own; a hub that cannot be
	 * reached only leaves a read-only feed open until its socket ends.
	 */
	private async endLiveSessions(eventId: string, buyerId: string, keep: string | null): Promise<void> {
		try {
			await dashboardHubOf(this.env, eventId).endBuyerSessions(buyerId, keep);
		} catch (err) {
			console.warn("hub not told of a revoked session", { eventId, buyerId, error: String(err) });
		}
	}

	async isSessionCurrent(sessionId: string): Promise<boolean> {
		return this.isCurrent(sessionId);
	}

	/**
	 * One claim of this buyer, start to end. The signed attempt is checked at once (session, nonce,
	 * rate); the rest waits for the buyer's previous claim, so two requests of one buyer (a double
	 * click, a second tab) never interleave and never share a hold id.
	 */
	async claim(attempt: SignedAttempt, listingId: string, options: ClaimOptions): Promise<BuyerClaimOutcome> {
		const refused = this.refusal(attempt);
		if (refused) return refused;
		const turn = this.claimQueue.then(() => this.runClaim(listingId, options, false));
		this.claimQueue = turn.catch(() => undefined);
		return turn;
	}

	/** An inventory object reports a hold's new status (confirmed, or ended: the quota comes back). */
	async applyHold(hold: HoldRecord): Promise<void> {
		this.apply(hold);
	}

	/** The buyer's holds, newest first; null when the session is no longer the current one. */
	async holds(sessionId: string): Promise<BuyerHold[] | null> {
		if (!this.isCurrent(sessionId)) return null;
		// Any request of the buyer re-arms reconciliation (an alarm lost to a bug must not strand quota).
		await this.rearm();
		const now = Date.now();
		return this.sql
			.exec<ReservationRow>("SELECT * FROM reservations WHERE status != 'pending' ORDER BY updated_at DESC")
			.toArray()
			.map((row) => toBuyerHold(row, now));
	}

	/** Looks a hold up for a signed request of its buyer (the cancel route). */
	async findHold(
		attempt: SignedAttempt,
		holdId: string,
	): Promise<{ kind: "found"; hold: BuyerHold } | { kind: "missing" } | Refusal> {
		const refused = this.refusal(attempt);
		if (refused) return refused;
		const row = one<ReservationRow>(this.sql, "SELECT * FROM reservations WHERE hold_id = ?", holdId);
		return row ? { kind: "found", hold: toBuyerHold(row, Date.now()) } : { kind: "missing" };
	}

	/**
	 * Settles pending rows whose claim never reported back: the object restarted while it waited for
	 * the inventory, so nobody will. The inventory object either returns the hold (adopted here) or
	 * fences the hold id so that the lost call can never grant it (the quota comes back). A row whose
	 * call this instance still waits for is left alone: its answer settles it.
	 */
	async reconcile(which: "due" | "all" = "due"): Promise<void> {
		const identity = one<{ event_id: string }>(this.sql, "SELECT event_id FROM identity WHERE id = 1");
		const now = Date.now();
		const due = all<ReservationRow>(
			this.sql,
			"SELECT * FROM reservations WHERE status = 'pending' AND lease_until <= ?",
			which === "all" ? Number.MAX_SAFE_INTEGER : now,
		).filter((row) => !this.awaited(row.hold_id, now));
		for (const row of due) {
			try {
				if (!identity) throw new Error("a pending row without the buyer's identity");
				if (this.hooks) await this.hooks.pause("before_resolve", row.hold_id);
				const hold = await listingInventoryOf(this.env, identity.event_id, row.listing_id).resolve(row.hold_id);
				if (hold) this.apply(hold);
				else this.dropPending(row.hold_id);
			} catch (err) {
				const backoff = Math.min(RECONCILE_MAX_BACKOFF_MS, 1_000 * 2 ** row.attempts);
				this.sql.exec(
					"UPDATE reservations SET attempts = attempts + 1, lease_until = ? WHERE hold_id = ? AND status = 'pending'",
					Date.now() + backoff,
					row.hold_id,
				);
				console.warn("reconciliation failed; retrying", { holdId: row.hold_id, error: String(err) });
			}
		}
	}

	override async alarm(): Promise<void> {
		await this.reconcile();
		await this.copyWishlist();
		await this.autoClaimIfDue();
		await this.rearm();
	}

	// --- wish list and auto-claim ------------------------------------------------------------------

	/**
	 * Stores the buyer's wish list (replacing the previous one) until its entry time, arms or disarms
	 * auto-claim, and writes D1's copy. The lock is checked here too, with this object's clock.
	 */
	async setWishlist(sessionId: string, input: WishlistInput): Promise<WishlistOutcome> {
		if (!this.isCurrent(sessionId)) return { kind: "session_revoked" };
		const now = Date.now();
		if (input.lockAt !== null && now >= input.lockAt) return { kind: "event_locked", lockAt: input.lockAt };
		const auto = this.autoClaimState();
		this.ctx.storage.transactionSync(() => {
			this.sql.exec(
				`INSERT INTO wishlist (id, listing_ids, auto_claim, version, updated_at) VALUES (1, ?, ?, 1, ?)
				 ON CONFLICT (id) DO UPDATE SET listing_ids = excluded.listing_ids, auto_claim = excluded.auto_claim,
				   version = wishlist.version + 1, updated_at = excluded.updated_at`,
				JSON.stringify(input.listingIds),
				input.autoClaim ? 1 : 0,
				now,
			);
			// A finished auto-claim stays finished: at most once per buyer.
			if (auto.state !== "done") {
				this.sql.exec(
					`INSERT INTO auto_claim (id, state, wake_at) VALUES (1, ?, ?)
					 ON CONFLICT (id) DO UPDATE SET state = excluded.state, wake_at = excluded.wake_at`,
					input.autoClaim ? "armed" : "off",
					input.autoClaim ? input.dueAt : null,
				);
			}
		});
		if (input.autoClaim && auto.state !== "done") await wakeBy(this.ctx.storage, input.dueAt);
		await this.copyWishlist();
		return { kind: "saved", wishlist: this.currentWishlist() };
	}

	/** The buyer's wish list (empty until set); null when the session is no longer the current one. */
	async wishlist(sessionId: string): Promise<Wishlist | null> {
		if (!this.isCurrent(sessionId)) return null;
		return this.currentWishlist();
	}

	/**
	 * The event's opening (or its delay) moved: auto-claim is expected at `dueAt` now. Brings the alarm
	 * to it if it is armed; the alarm checks D1 again when it fires, so a guess too early costs a look.
	 */
	async rearmAutoClaim(dueAt: number): Promise<void> {
		if (this.autoClaimState().state !== "armed") return;
		this.sql.exec("UPDATE auto_claim SET wake_at = ? WHERE id = 1", dueAt);
		await wakeBy(this.ctx.storage, dueAt);
	}

	/** Where this buyer's auto-claim stands (tests, support). */
	async autoClaimStatus(): Promise<AutoClaimState> {
		return this.autoClaimState();
	}

	private currentWishlist(): Wishlist {
		const row = one<{ listing_ids: string; auto_claim: number }>(
			this.sql,
			"SELECT listing_ids, auto_claim FROM wishlist WHERE id = 1",
		);
		return row
			? { listingIds: JSON.parse(row.listing_ids) as string[], autoClaim: row.auto_claim === 1 }
			: { listingIds: [], autoClaim: false };
	}

	private autoClaimState(): AutoClaimState {
		const row = one<{ state: string; wake_at: number | null; outcome: string | null; hold_id: string | null }>(
			this.sql,
			"SELECT state, wake_at, outcome, hold_id FROM auto_claim WHERE id = 1",
		);
		if (!row) return { state: "off", wakeAt: null, outcome: null, holdId: null };
		return {
			state: row.state as AutoClaimState["state"],
			wakeAt: row.wake_at,
			outcome: row.outcome,
			holdId: row.hold_id,
		};
	}

	/** Writes D1's copy of the list if it lags; a failure is retried by the alarm, never given up. */
	private async copyWishlist(): Promise<void> {
		const row = one<{ listing_ids: string; auto_claim: number; version: number; updated_at: number; copied: number }>(
			this.sql,
			"SELECT listing_ids, auto_claim, version, updated_at, copied_version AS copied FROM wishlist WHERE id = 1",
		);
		const who = one<{ event_id: string; buyer_id: string }>(this.sql, "SELECT * FROM identity WHERE id = 1");
		if (!row || !who || row.copied >= row.version) return;
		try {
			await upsertWishlistCopy(this.env, {
				eventId: who.event_id,
				buyerId: who.buyer_id,
				listingIds: JSON.parse(row.listing_ids) as string[],
				autoClaim: row.auto_claim === 1,
				version: row.version,
				updatedAt: new Date(row.updated_at).toISOString(),
			});
			this.sql.exec("UPDATE wishlist SET copied_version = max(copied_version, ?) WHERE id = 1", row.version);
		} catch (err) {
			console.warn("wish list not copied to D1; the alarm retries", { error: String(err) });
			await wakeBy(this.ctx.storage, Date.now() + WISH_COPY_RETRY_MS);
		}
	}

	/**
	 * The alarm's auto-claim: asks D1 where the event stands now (lib/auto-claim.ts) and either waits,
	 * finishes, or runs the claim as one turn of the buyer's claim queue. A D1 that cannot be read is
	 * asked again shortly; nothing is claimed on a guess.
	 */
	private async autoClaimIfDue(): Promise<void> {
		if (this.autoClaimState().state !== "armed") return;
		const { eventId, buyerId } = this.identity();
		let step: ReturnType<typeof autoClaimStep>;
		try {
			const { event, entryAtMs } = await entryTimeOf(this.env, eventId, buyerId);
			step = autoClaimStep(event, entryAtMs, Date.now());
		} catch (err) {
			console.warn("auto-claim could not read the event; retrying", { eventId, error: String(err) });
			this.autoClaimWake(Date.now() + AUTO_CLAIM_RETRY_MS);
			return;
		}
		if (step.kind === "wait") this.autoClaimWake(step.until);
		else if (step.kind === "finish") this.finishAutoClaim(step.reason, null);
		else {
			const { entryAt } = step;
			const turn = this.claimQueue.then(() => this.autoClaimTurn(entryAt));
			this.claimQueue = turn.catch(() => undefined);
			await turn;
		}
	}

	/**
	 * One auto-claim attempt, inside the claim queue (no claim of the buyer runs meanwhile). At most once:
	 * a reservation auto-claim made, whatever became of it, ends auto-claim for good; a buyer holding
	 * anything gets nothing. A claim that did not complete leaves its pending row (marked auto), which
	 * reconciliation settles before the next look decides.
	 */
	private async autoClaimTurn(entryAt: number): Promise<void> {
		if (this.autoClaimState().state !== "armed") return;
		if (this.hasLostPending()) await this.reconcile("all");
		const made = one<{ hold_id: string; status: string }>(
			this.sql,
			"SELECT hold_id, status FROM reservations WHERE auto = 1 ORDER BY status = 'pending' LIMIT 1",
		);
		if (made?.status === "pending") return this.autoClaimWake(Date.now() + AUTO_CLAIM_RETRY_MS);
		if (made) return this.finishAutoClaim("granted", made.hold_id);
		const { eventId } = this.identity();
		await this.settleLapsed(eventId);
		if (this.countedHolds() > 0) return this.finishAutoClaim("already_holding", null);
		const leaseMs = Number(this.env.RESERVATION_LEASE_SECONDS) * 1000;
		for (const listingId of this.currentWishlist().listingIds) {
			const outcome = await this.runClaim(listingId, { leaseMs, actor: "system", notBefore: entryAt }, true);
			switch (outcome.kind) {
				case "held":
					return this.finishAutoClaim(outcome.created ? "granted" : "already_holding", outcome.hold.holdId);
				case "sold_out":
				case "not_found":
					continue;
				case "limit_reached":
					return this.finishAutoClaim("already_holding", null);
				case "not_your_turn":
					return this.autoClaimWake(outcome.entryAt);
				default:
					// overloaded (the unit saturated, the inventory fenced it, or D1's terms unreadable): look
					// again shortly; the pending row, if any, is settled first.
					return this.autoClaimWake(Date.now() + AUTO_CLAIM_RETRY_MS);
			}
		}
		this.finishAutoClaim("nothing_left", null);
	}

	private autoClaimWake(at: number): void {
		this.sql.exec("UPDATE auto_claim SET wake_at = ? WHERE id = 1 AND state = 'armed'", at);
	}

	private finishAutoClaim(outcome: string, holdId: string | null): void {
		this.sql.exec(
			"UPDATE auto_claim SET state = 'done', wake_at = NULL, outcome = ?, hold_id = ?, finished_at = ? WHERE id = 1",
			outcome,
			holdId,
			Date.now(),
		);
	}

	// --- internals -------------------------------------------------------------------------------

	private async runClaim(listingId: string, options: ClaimOptions, auto: boolean): Promise<BuyerClaimOutcome> {
		if (options.notBefore !== undefined && Date.now() < options.notBefore) {
			return { kind: "not_your_turn", entryAt: options.notBefore };
		}
		// Rows a lost call left behind must not hold the buyer at limit_reached: the buyer is here now,
		// so settle them first, back-off or not.
		if (this.hasLostPending()) await this.reconcile("all");
		const { eventId, buyerId } = this.identity();
		await this.settleLapsed(eventId);
		const same = one<ReservationRow>(
			this.sql,
			`SELECT * FROM reservations WHERE listing_id = ? AND ${COUNTED} ORDER BY status LIMIT 1`,
			listingId,
		);
		if (same && same.status !== "pending") {
			return { kind: "held", hold: toBuyerHold(same, Date.now()), created: false, soldOutTo: null };
		}
		let rules: BuyerRules | null;
		try {
			rules =
				this.rules() ?? (options.frozenRules ? this.keepRules(options.frozenRules) : await this.loadRules(eventId));
		} catch (err) {
			// D1 cannot be read at this buyer's first claim: grant nothing rather than guess the limit
			// (503 overloaded; the buyer retries).
			console.warn("buyer rules could not be read from D1", { eventId, error: String(err) });
			return { kind: "overloaded" };
		}
		if (!rules) return { kind: "not_found" };
		if (this.countedHolds() >= rules.perBuyerLimit) {
			await this.rearm();
			return { kind: "limit_reached", perBuyerLimit: rules.perBuyerLimit };
		}

		const now = Date.now();
		const holdId = newHoldId(eventId, listingId);
		this.sql.exec(
			`INSERT INTO reservations (hold_id, listing_id, status, lease_until, updated_at, auto)
			 VALUES (?, ?, 'pending', ?, ?, ?)`,
			holdId,
			listingId,
			now + options.leaseMs,
			now,
			auto ? 1 : 0,
		);
		// In flight from the moment the row exists: nothing may take it for a lost call meanwhile.
		this.inFlight.set(holdId, now);
		await wakeBy(this.ctx.storage, now + options.leaseMs);

		const answered = (async () => {
			if (this.hooks) await this.hooks.pause("before_inventory", holdId);
			const inventory = listingInventoryOf(this.env, eventId, listingId);
			const outcome = await inventory.claim({ eventId, listingId }, holdId, buyerId, options.actor);
			if (this.hooks) await this.hooks.pause("before_settle", holdId);
			return this.settle(holdId, outcome);
		})();
		const settled = answered.finally(() => this.inFlight.delete(holdId));
		// Kept alive past the answer below: a late inventory answer must still be settled here.
		this.ctx.waitUntil(settled.catch(() => undefined));
		const result = await withinTime(settled, INVENTORY_WAIT_MS).catch((err: unknown) => {
			// Unknown whether the claim landed: the pending row stays (and counts) until the answer or
			// reconciliation settles it.
			console.warn("inventory did not answer in time", { holdId, error: String(err) });
			return { kind: "overloaded" } as const;
		});
		return result;
	}

	/** The inventory's answer for `holdId`: adopt the hold or free the quota, in one synchronous step. */
	private settle(holdId: string, outcome: ClaimOutcome): BuyerClaimOutcome {
		switch (outcome.kind) {
			case "granted":
				if (outcome.hold.holdId !== holdId) this.dropPending(holdId);
				this.apply(outcome.hold);
				return {
					kind: "held",
					hold: { ...toBuyerHoldFromRecord(outcome.hold) },
					created: outcome.created,
					soldOutTo: outcome.soldOutTo,
				};
			case "sold_out":
				this.dropPending(holdId);
				return { kind: "sold_out", soldOutTo: outcome.soldOutTo };
			case "fenced":
			case "unavailable":
				this.dropPending(holdId);
				return { kind: "overloaded" };
			case "unknown_listing":
				this.dropPending(holdId);
				return { kind: "not_found" };
		}
	}

	private identity(): { eventId: string; buyerId: string } {
		const row = one<{ event_id: string; buyer_id: string }>(this.sql, "SELECT * FROM identity WHERE id = 1");
		if (!row) throw new Error("buyer object used before its first login");
		return { eventId: row.event_id, buyerId: row.buyer_id };
	}

	/** The rules kept from the first claim; null before it. */
	private rules(): BuyerRules | null {
		const row = one<{ per_buyer_limit: number }>(this.sql, "SELECT per_buyer_limit FROM rules WHERE id = 1");
		return row ? { perBuyerLimit: row.per_buyer_limit } : null;
	}

	/** Reads the rules from D1 (freezing the event's terms) and keeps them; they never change after. */
	private async loadRules(eventId: string): Promise<BuyerRules | null> {
		const rules = await freezeBuyerRules(this.env, eventId, new Date().toISOString());
		return rules ? this.keepRules(rules) : null;
	}

	private keepRules(rules: BuyerRules): BuyerRules | null {
		this.sql.exec(
			"INSERT INTO rules (id, per_buyer_limit) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
			rules.perBuyerLimit,
		);
		return this.rules();
	}

	/**
	 * Whether this instance still waits for the claim of `holdId`: its answer will settle the row, and
	 * a `resolve` now would only add a write to a saturated object. A call that has not answered for
	 * IN_FLIGHT_MAX_MS is treated as lost, so a call that never returns cannot hold the quota forever.
	 */
	private awaited(holdId: string, now: number): boolean {
		const since = this.inFlight.get(holdId);
		return since !== undefined && now - since < IN_FLIGHT_MAX_MS;
	}

	/**
	 * `held` rows whose expiresAt has passed here stop counting against the limit — but only once their
	 * inventory object says how they ended: staff may have confirmed one just before its time, and the
	 * news of that may still be on its way here (the outbox). So each lapsed row is asked of its object
	 * (which expires it there first if it is due) and the answer applied; a row whose object cannot be
	 * asked stays counted, as `held` (under-serving the buyer for a moment, never over the limit).
	 */
	private async settleLapsed(eventId: string): Promise<void> {
		const lapsed = all<ReservationRow>(
			this.sql,
			"SELECT * FROM reservations WHERE status = 'held' AND expires_at IS NOT NULL AND expires_at <= ?",
			Date.now(),
		);
		for (const row of lapsed) {
			try {
				const hold = await listingInventoryOf(this.env, eventId, row.listing_id).currentHold(row.hold_id);
				if (hold) this.apply(hold);
			} catch (err) {
				console.warn("lapsed hold not checked; it stays counted", { holdId: row.hold_id, error: String(err) });
			}
		}
	}

	/** Pending rows this instance is not waiting for: their call was lost with an earlier instance. */
	private hasLostPending(): boolean {
		const pending = all<{ hold_id: string }>(this.sql, "SELECT hold_id FROM reservations WHERE status = 'pending'");
		const now = Date.now();
		return pending.some((row) => !this.awaited(row.hold_id, now));
	}

	/** Keeps the alarm armed while any pending row exists: reconciliation never gives up. */
	private async rearm(): Promise<void> {
		const next = this.sql
			.exec<{ t: number | null }>("SELECT min(lease_until) AS t FROM reservations WHERE status = 'pending'")
			.one().t;
		// At least a second away: a row that fell due while reconcile ran is retried, not spun on.
		if (next !== null) await wakeBy(this.ctx.storage, Math.max(next, Date.now() + 1_000));
		// An armed auto-claim keeps its own wake-up (the alarm that fired no longer counts).
		const auto = this.autoClaimState();
		if (auto.state === "armed" && auto.wakeAt !== null) await wakeBy(this.ctx.storage, auto.wakeAt);
		const lagging = one<{ n: number }>(this.sql, "SELECT 1 AS n FROM wishlist WHERE copied_version < version");
		if (lagging) await wakeBy(this.ctx.storage, Date.now() + WISH_COPY_RETRY_MS);
	}

	private refusal(attempt: SignedAttempt): Refusal | null {
		if (!this.isCurrent(attempt.sessionId)) return { kind: "session_revoked" };
		const now = Date.now();
		if (attempt.claimsPer10s !== undefined) {
			this.claimTimes = this.claimTimes.filter((t) => t > now - CLAIM_WINDOW_MS);
			if (this.claimTimes.length >= attempt.claimsPer10s) {
				const oldest = this.claimTimes[0] ?? now;
				return { kind: "rate_limited", retryAfterSeconds: Math.ceil((oldest + CLAIM_WINDOW_MS - now) / 1000) };
			}
		}
		this.sql.exec("DELETE FROM nonces WHERE seen_at < ?", now - NONCE_MEMORY_MS);
		const fresh = this.sql
			.exec(
				"INSERT INTO nonces (nonce, seen_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING RETURNING nonce",
				attempt.nonce,
				now,
			)
			.toArray();
		if (fresh.length === 0) return { kind: "replayed_nonce" };
		if (attempt.claimsPer10s !== undefined) this.claimTimes.push(now);
		return null;
	}

	private isCurrent(sessionId: string): boolean {
		const row = one<{ session_id: string | null; expires_at: number | null }>(
			this.sql,
			"SELECT session_id, expires_at FROM session WHERE id = 1",
		);
		return row?.session_id === sessionId && (row.expires_at ?? 0) > Date.now();
	}

	private countedHolds(): number {
		return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM reservations WHERE ${COUNTED}`).one().n;
	}

	private dropPending(holdId: string): void {
		this.sql.exec("DELETE FROM reservations WHERE hold_id = ? AND status = 'pending'", holdId);
	}

	/** Idempotent and order-proof: an older version of a hold never overwrites a newer one. */
	private apply(hold: HoldRecord): void {
		this.sql.exec(
			`INSERT INTO reservations (hold_id, listing_id, status, expires_at, lease_until, version, updated_at)
			 VALUES (?, ?, ?, ?, NULL, ?, ?)
			 ON CONFLICT (hold_id) DO UPDATE SET
			   status = excluded.status, expires_at = excluded.expires_at, lease_until = NULL,
			   version = excluded.version, updated_at = excluded.updated_at
			 WHERE excluded.version > reservations.version`,
			hold.holdId,
			hold.listingId,
			hold.status,
			hold.expiresAt,
			hold.version,
			hold.updatedAt,
		);
	}
}

function toBuyerHoldFromRecord(hold: HoldRecord): BuyerHold {
	return { holdId: hold.holdId, listingId: hold.listingId, status: hold.status, expiresAt: hold.expiresAt };
}

/** A hold as the buyer sees it at `now`: one past its expiry is expired, even before its inventory says so. */
function toBuyerHold(row: ReservationRow, now: number): BuyerHold {
	const lapsed = row.status === "held" && row.expires_at !== null && row.expires_at <= now;
	return {
		holdId: row.hold_id,
		listingId: row.listing_id,
		status: lapsed ? "expired" : (row.status as BuyerHoldStatus),
		expiresAt: lapsed ? null : row.expires_at,
		...(row.auto === 1 ? { auto: true } : {}),
	};
}
