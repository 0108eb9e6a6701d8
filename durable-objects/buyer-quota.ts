// BuyerQuota: one object per buyer and event. It guards two things that must be decided in one place:
// the buyer's single live session (a new login revokes the old one) and the purchase limit across all
// listings. See docs/PROTOCOL.md for how it and the inventory objects stay in agreement through
// crashes: quota is reserved here *before* a claim reaches an inventory object, and a reservation
// whose claim was lost is reconciled by fencing its hold id at the inventory object.
import { DurableObject } from "cloudflare:workers";
import { NONCE_MEMORY_MS } from "../client/signing";
import { randomId } from "../lib/crypto";
import type { HoldRecord, HoldStatus } from "../lib/hold-record";
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
}

/** Why a signed request is refused before it may do anything (see `admit`). */
export type Refusal =
	| { kind: "session_revoked" }
	| { kind: "replayed_nonce" }
	| { kind: "rate_limited"; retryAfterSeconds: number };

export type ReserveOutcome =
	| { kind: "reserved"; holdId: string }
	| { kind: "already_held"; hold: BuyerHold }
	| { kind: "limit_reached" }
	| Refusal;

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
}

const COUNTED = "('pending', 'held', 'confirmed')";
const CLAIM_WINDOW_MS = 10_000;

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
];

export class BuyerQuota extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	/** Recent claim times; memory is enough for a rate limit (an eviction only forgives a little). */
	private claimTimes: number[] = [];

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
	 * Reserves one unit of quota for a claim on `listingId`. The check and the write are one
	 * synchronous step, so concurrent claims from several devices cannot both pass the limit.
	 */
	async reserve(attempt: SignedAttempt, listingId: string, limit: number, leaseMs: number): Promise<ReserveOutcome> {
		const refused = this.refusal(attempt);
		if (refused) return refused;
		const same = one<ReservationRow>(
			this.sql,
			`SELECT * FROM reservations WHERE listing_id = ? AND status IN ${COUNTED} ORDER BY status LIMIT 1`,
			listingId,
		);
		// A claim already in flight for this listing shares its hold id: the inventory object is
		// idempotent per hold id, so both requests get the same hold.
		if (same?.status === "pending") return { kind: "reserved", holdId: same.hold_id };
		if (same) return { kind: "already_held", hold: toBuyerHold(same) };
		if (this.countedHolds() >= limit) return { kind: "limit_reached" };

		const now = Date.now();
		const holdId = randomId("h", 22);
		this.sql.exec(
			`INSERT INTO reservations (hold_id, listing_id, status, lease_until, updated_at)
			 VALUES (?, ?, 'pending', ?, ?)`,
			holdId,
			listingId,
			now + leaseMs,
			now,
		);
		await wakeBy(this.ctx.storage, now + leaseMs);
		return { kind: "reserved", holdId };
	}

	/** The claim for `holdId` came back from the inventory object: adopt the hold or free the quota. */
	async settle(holdId: string, outcome: ClaimOutcome): Promise<void> {
		if (outcome.kind === "granted") {
			if (outcome.hold.holdId !== holdId) this.dropPending(holdId);
			this.apply(outcome.hold);
		} else {
			this.dropPending(holdId);
		}
	}

	/** An inventory object reports a hold's new status (confirmed, or ended: the quota comes back). */
	async applyHold(hold: HoldRecord): Promise<void> {
		this.apply(hold);
	}

	/** The buyer's holds, newest first; null when the session is no longer the current one. */
	async holds(sessionId: string): Promise<BuyerHold[] | null> {
		if (!this.isCurrent(sessionId)) return null;
		return this.sql
			.exec<ReservationRow>("SELECT * FROM reservations WHERE status != 'pending' ORDER BY updated_at DESC")
			.toArray()
			.map(toBuyerHold);
	}

	/** Looks a hold up for a signed request of its buyer (the cancel route). */
	async findHold(
		attempt: SignedAttempt,
		holdId: string,
	): Promise<{ kind: "found"; hold: BuyerHold } | { kind: "missing" } | Refusal> {
		const refused = this.refusal(attempt);
		if (refused) return refused;
		const row = one<ReservationRow>(this.sql, "SELECT * FROM reservations WHERE hold_id = ?", holdId);
		return row ? { kind: "found", hold: toBuyerHold(row) } : { kind: "missing" };
	}

	/**
	 * Settles reservations whose claim never reported back (the request died, or its answer was lost):
	 * `holdId` now, or every reservation whose lease ran out. The inventory object either returns the
	 * hold (adopted here) or fences the id so it can never be granted (the quota comes back).
	 */
	async reconcile(holdId?: string): Promise<void> {
		const identity = one<{ event_id: string }>(this.sql, "SELECT event_id FROM identity WHERE id = 1");
		if (!identity) return;
		const rows =
			holdId === undefined
				? all<ReservationRow>(
						this.sql,
						"SELECT * FROM reservations WHERE status = 'pending' AND lease_until <= ?",
						Date.now(),
					)
				: all<ReservationRow>(this.sql, "SELECT * FROM reservations WHERE status = 'pending' AND hold_id = ?", holdId);
		for (const row of rows) {
			const hold = await listingInventoryOf(this.env, identity.event_id, row.listing_id).resolve(row.hold_id);
			if (hold) this.apply(hold);
			else this.dropPending(row.hold_id);
		}
	}

	override async alarm(): Promise<void> {
		await this.reconcile();
		const next = this.sql
			.exec<{ t: number | null }>("SELECT min(lease_until) AS t FROM reservations WHERE status = 'pending'")
			.one().t;
		// At least a second away: a lease that fell due while reconcile ran is retried, not spun on.
		if (next !== null) await wakeBy(this.ctx.storage, Math.max(next, Date.now() + 1_000));
	}

	// --- internals -------------------------------------------------------------------------------

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
		return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM reservations WHERE status IN ${COUNTED}`).one().n;
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

function toBuyerHold(row: ReservationRow): BuyerHold {
	return {
		holdId: row.hold_id,
		listingId: row.listing_id,
		status: row.status as BuyerHoldStatus,
		expiresAt: row.expires_at,
	};
}
