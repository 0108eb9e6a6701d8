// The event ledger's hash chain (API.md "Event ledger"): what an entry is, its canonical text, and its
// hash. Pure, and synchronous on purpose: the ledger object computes the hash of each entry between
// reading the chain's head and writing the entry, inside one SQLite transaction, and an await there
// would let another append read the same head (two entries with one `prev`). WebCrypto's digest is
// async only, so the hash is node:crypto's (nodejs_compat in workerd; Node in the unit tests).
//
// The verifier (lib/ledger-verifier.ts, scripts/verify-ledger.mts) recomputes all of this with code of
// its own and must not import this module: one bug shared by writer and checker would pass unseen.
import { createHash } from "node:crypto";
import { type HoldRecord, type HoldStatus, isoOrNull } from "./hold-record";
import type { Actor } from "./staff-roles";

/** The `prev` of entry 1, and the head's hash while a ledger has no entry yet. */
export const GENESIS_HASH = "0".repeat(64);

/** What one JSON value can be in an entry's `data`: plain JSON, nothing else. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * The kinds this code writes. Snake_case (API.md); a kind added by a later feature (the draw, staff
 * accounts) is added here so that every writer names one the readers know.
 */
export type LedgerKind =
	| "hold_granted"
	| "hold_confirmed"
	| "hold_released"
	| "hold_cancelled"
	| "hold_expired"
	| "event_created"
	| "event_updated"
	| "event_status"
	| "switches_changed"
	| "listings_imported"
	| "buyers_imported"
	| "draw_committed"
	| "draw_revealed"
	/** A rehearsal (模拟开盘) copied from a real event: recorded in the rehearsal's own ledger only. */
	| "rehearsal_created";

/** One entry as stored, served and exported. */
export interface LedgerEntry {
	seq: number;
	/** ISO-8601 UTC with milliseconds: when the ledger recorded it (never earlier than the entry before). */
	at: string;
	kind: LedgerKind;
	actor: Actor;
	data: JsonObject;
	prev: string;
	hash: string;
}

/**
 * What a writer hands the ledger: everything but what the chain decides (seq, at, prev, hash).
 * `key` makes the append idempotent: an input whose key the ledger has already recorded is skipped,
 * so an at-least-once delivery is appended exactly once.
 */
export interface LedgerInput {
	key: string;
	kind: LedgerKind;
	actor: Actor;
	data: JsonObject;
}

/** The head a notary is given: the last entry's seq, hash and time (seq 0, GENESIS_HASH, null when empty). */
export interface LedgerHead {
	seq: number;
	hash: string;
	at: string | null;
}

/**
 * RFC 8785 (JCS) for the JSON this ledger holds: object keys sorted by UTF-16 code units at every
 * level, no whitespace, strings and numbers as ECMAScript's JSON.stringify writes them (which is what
 * JCS specifies). Anything JSON cannot carry exactly is refused rather than silently changed: a
 * non-finite number, `undefined`, a lone surrogate (JCS requires well-formed strings), a non-plain
 * object.
 */
export function canonicalJson(value: unknown): string {
	if (value === null) return "null";
	switch (typeof value) {
		case "boolean":
			return value ? "true" : "false";
		case "number":
			if (!Number.isFinite(value)) throw new TypeError(`not JSON: ${value}`);
			return JSON.stringify(value);
		case "string":
			if (!value.isWellFormed()) throw new TypeError("not JSON: a string with a lone surrogate");
			return JSON.stringify(value);
		case "object": {
			if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
			const proto = Object.getPrototypeOf(value) as unknown;
			if (proto !== Object.prototype && proto !== null) throw new TypeError("not JSON: not a plain object");
			const record = value as Record<string, unknown>;
			// Array.prototype.sort without a comparator compares UTF-16 code units, as JCS requires.
			const keys = Object.keys(record).sort();
			return `{${keys.map((k) => `${canonicalJson(k)}:${canonicalJson(record[k])}`).join(",")}}`;
		}
		default:
			throw new TypeError(`not JSON: ${typeof value}`);
	}
}

/** The text an entry's hash covers after `prev`: the canonical JSON of {seq, at, kind, actor, data}. */
export function canonicalEntry(entry: Pick<LedgerEntry, "seq" | "at" | "kind" | "actor" | "data">): string {
	return canonicalJson({ seq: entry.seq, at: entry.at, kind: entry.kind, actor: entry.actor, data: entry.data });
}

/** hex(SHA-256(UTF-8(prev + "\n" + canonical))): API.md's hash of an entry. */
export function entryHash(prev: string, canonical: string): string {
	return createHash("sha256").update(`${prev}\n${canonical}`, "utf8").digest("hex");
}

/** The entry that follows `head` with this content: its seq, prev and hash. */
export function chainEntry(
	head: Pick<LedgerHead, "seq" | "hash">,
	at: string,
	input: Pick<LedgerInput, "kind" | "actor" | "data">,
): LedgerEntry {
	const seq = head.seq + 1;
	const content = { seq, at, kind: input.kind, actor: input.actor, data: input.data };
	return { ...content, prev: head.hash, hash: entryHash(head.hash, canonicalEntry(content)) };
}

/** hex(SHA-256(canonical JSON)): how an import's content is named in the ledger (never its secrets). */
export function contentSha256(value: unknown): string {
	return createHash("sha256").update(canonicalJson(value), "utf8").digest("hex");
}

/** ISO-8601 UTC with milliseconds, never earlier than `notBefore` (the chain's times do not go back). */
export function ledgerTime(nowMs: number, notBefore: string | null): string {
	const floor = notBefore === null ? Number.NEGATIVE_INFINITY : Date.parse(notBefore);
	return new Date(Math.max(nowMs, floor)).toISOString();
}

const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const ACTOR = /^(admin|system|staff:[A-Za-z0-9_-]{1,64}|buyer:[A-Za-z0-9_-]{1,64})$/;

/**
 * Why an input cannot go into the chain, or null when it can. The ledger refuses a bad input before it
 * writes anything (a malformed entry, once chained, could never be removed).
 */
export function invalidInput(input: LedgerInput): string | null {
	if (typeof input.key !== "string" || input.key.length === 0 || input.key.length > 256) return "key";
	if (!SNAKE.test(input.kind)) return "kind";
	if (!ACTOR.test(input.actor)) return "actor";
	if (typeof input.data !== "object" || input.data === null || Array.isArray(input.data)) return "data";
	try {
		canonicalJson(input.data);
	} catch {
		return "data";
	}
	return null;
}

/** The entry kind of a hold's status change (each status is reached by exactly one kind of change). */
export function holdKind(status: HoldStatus): LedgerKind {
	switch (status) {
		case "held":
			return "hold_granted";
		case "confirmed":
			return "hold_confirmed";
		case "released":
			return "hold_released";
		case "cancelled":
			return "hold_cancelled";
		case "expired":
			return "hold_expired";
	}
}

/**
 * A hold's status change as the ledger records it. The key is the hold and its version: every status
 * change makes a new version (lib/hold-record.ts), and every delivery of the same change has the same
 * key, so redeliveries append nothing.
 */
export function holdLedgerInput(hold: HoldRecord, actor: Actor): LedgerInput {
	return {
		key: `hold:${hold.holdId}:${hold.version}`,
		kind: holdKind(hold.status),
		actor,
		data: {
			holdId: hold.holdId,
			listingId: hold.listingId,
			buyerId: hold.buyerId,
			status: hold.status,
			version: hold.version,
			priceCents: hold.priceCents,
			expiresAt: isoOrNull(hold.expiresAt),
			// When the change happened in the listing's object; the entry's `at` is when the ledger got it.
			changedAt: new Date(hold.updatedAt).toISOString(),
		},
	};
}
