// The ledger's verifier: given an event's ledger export (JSON Lines) and D1's orders, recompute the
// chain and say whether it holds. Used by `npm run verify-ledger` (scripts/verify-ledger.mts), the
// bench's guarantee checks and the tests.
//
// Deliberately its own code path: it does not import lib/ledger-chain.ts (the writer's), and its
// canonicalisation is written differently — RFC 8785 by hand (string escapes from §3.2.2.2, keys
// compared code unit by code unit) rather than through JSON.stringify — so that one mistake in the
// writer is not repeated by the checker and passed as correct. Only the SHA-256 primitive is shared
// (node:crypto, in workerd through nodejs_compat and in Node).
import { createHash } from "node:crypto";

const ZEROS = "0000000000000000000000000000000000000000000000000000000000000000";

export interface VerifiedOrder {
	holdId: string;
	listingId: string;
	buyerId: string;
	status: string;
}

export interface VerifyReport {
	ok: boolean;
	/** Entries read from the export. */
	entries: number;
	/** The last entry's seq and hash as recomputed (seq 0 and 64 zeros for an empty ledger). */
	head: { seq: number; hash: string };
	/** Hold entries, and distinct holds among them. */
	holdEntries: number;
	holds: number;
	/** Orders checked against the ledger. */
	orders: number;
	/** Every problem found, in order; empty when ok. */
	problems: string[];
}

export interface VerifyOptions {
	/** D1's orders of the event: each must be in the ledger with its final status. */
	orders?: readonly VerifiedOrder[];
	/** A head published earlier (to a notary): the chain must contain exactly that entry. */
	publishedHead?: { seq: number; hash: string };
	/** Stop listing problems after this many (the verdict stays false). */
	maxProblems?: number;
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;
const HOLD_KINDS: Record<string, string> = {
	hold_granted: "held",
	hold_confirmed: "confirmed",
	hold_released: "released",
	hold_cancelled: "cancelled",
	hold_expired: "expired",
};
const FIELDS = ["actor", "at", "data", "hash", "kind", "prev", "seq"];

/** Verifies an export given as its JSON Lines text (one entry per line; blank lines are ignored). */
export function verifyLedgerExport(ndjson: string, options: VerifyOptions = {}): VerifyReport {
	const lines = ndjson.split("\n").filter((l) => l.trim() !== "");
	const parsed: unknown[] = [];
	const problems: string[] = [];
	lines.forEach((line, i) => {
		try {
			parsed.push(JSON.parse(line));
		} catch {
			problems.push(`line ${i + 1}: not JSON`);
			parsed.push(null);
		}
	});
	const report = verifyLedgerEntries(parsed, options);
	return { ...report, ok: report.ok && problems.length === 0, problems: [...problems, ...report.problems] };
}

/** Verifies entries already parsed (each as the export and the paged route give it). */
export function verifyLedgerEntries(entries: readonly unknown[], options: VerifyOptions = {}): VerifyReport {
	const max = options.maxProblems ?? 50;
	const problems: string[] = [];
	let more = 0;
	const problem = (text: string) => {
		if (problems.length < max) problems.push(text);
		else more += 1;
	};

	let expectedSeq = 1;
	let prevHash = ZEROS;
	let prevAt = "";
	let published: string | null = null;
	/** Per hold: its entries' versions in ledger order, and its last entry. */
	const holds = new Map<string, { versions: number[]; last: Record<string, unknown> }>();
	let holdEntries = 0;

	entries.forEach((raw, i) => {
		const where = `entry ${i + 1}`;
		if (!isObject(raw)) {
			problem(`${where}: not an object`);
			return;
		}
		const keys = Object.keys(raw).sort(compareCodeUnits);
		if (keys.join(",") !== FIELDS.join(",")) problem(`${where}: fields are ${keys.join(",")}, expected ${FIELDS}`);
		const { seq, at, kind, actor, data, prev, hash } = raw;
		if (seq !== expectedSeq) problem(`${where}: seq ${String(seq)}, expected ${expectedSeq} (a gap or a reorder)`);
		if (prev !== prevHash) problem(`seq ${String(seq)}: prev does not match the hash of the entry before`);
		if (typeof at !== "string" || !ISO_MS.test(at) || Number.isNaN(Date.parse(at))) {
			problem(`seq ${String(seq)}: at is not ISO-8601 UTC with milliseconds`);
		} else if (at < prevAt) {
			problem(`seq ${String(seq)}: at ${at} is earlier than the entry before (${prevAt})`);
		}
		if (typeof kind !== "string" || !/^[a-z][a-z0-9_]*$/.test(kind)) problem(`seq ${String(seq)}: kind`);
		if (typeof actor !== "string" || !/^(admin|system|staff:.+|buyer:.+)$/.test(actor)) {
			problem(`seq ${String(seq)}: actor ${String(actor)}`);
		}
		if (!isObject(data)) problem(`seq ${String(seq)}: data is not an object`);
		if (typeof hash !== "string" || !HEX64.test(hash)) problem(`seq ${String(seq)}: hash is not 64 hex digits`);

		let recomputed: string | null = null;
		try {
			const canonical = jcs({ seq, at, kind, actor, data });
			recomputed = sha256Hex(`${String(prev)}\n${canonical}`);
		} catch (err) {
			problem(`seq ${String(seq)}: cannot be canonicalised (${String(err)})`);
		}
		if (recomputed !== null && recomputed !== hash) {
			problem(`seq ${String(seq)}: hash does not match its content (the entry was changed)`);
		}
		if (options.publishedHead && seq === options.publishedHead.seq) published = String(hash);

		if (typeof kind === "string" && kind in HOLD_KINDS && isObject(data)) {
			holdEntries += 1;
			const holdId = String(data.holdId);
			if (data.status !== HOLD_KINDS[kind]) problem(`seq ${String(seq)}: ${kind} with status ${String(data.status)}`);
			const h = holds.get(holdId) ?? { versions: [], last: data };
			const version = Number(data.version);
			const before = h.versions.at(-1);
			if (h.versions.includes(version)) problem(`seq ${String(seq)}: hold ${holdId} version ${version} recorded twice`);
			else if (before !== undefined && version < before) {
				problem(`seq ${String(seq)}: hold ${holdId} version ${version} after version ${before}`);
			}
			h.versions.push(version);
			h.last = data;
			holds.set(holdId, h);
		}

		// Carry on from what the entry claims, so that one bad entry is reported once, not for every
		// entry after it.
		expectedSeq = (typeof seq === "number" ? seq : expectedSeq) + 1;
		prevHash = typeof hash === "string" ? hash : prevHash;
		if (typeof at === "string") prevAt = at;
	});

	if (options.publishedHead) {
		const { seq, hash } = options.publishedHead;
		if (published === null) problem(`published head seq ${seq}: the ledger has no such entry`);
		else if (published !== hash) problem(`published head seq ${seq}: the ledger's entry has another hash`);
	}

	const orders = options.orders ?? [];
	for (const order of orders) {
		const h = holds.get(order.holdId);
		if (!h) {
			problem(`order ${order.holdId} (${order.status}): not in the ledger`);
			continue;
		}
		const last = h.last;
		if (last.status !== order.status) {
			problem(`order ${order.holdId}: D1 says ${order.status}, the ledger's last entry says ${String(last.status)}`);
		}
		if (last.listingId !== order.listingId || last.buyerId !== order.buyerId) {
			problem(`order ${order.holdId}: listing or buyer differ between D1 and the ledger`);
		}
	}
	if (more > 0) problems.push(`… and ${more} more`);
	return {
		ok: problems.length === 0,
		entries: entries.length,
		head: { seq: expectedSeq - 1, hash: prevHash },
		holdEntries,
		holds: holds.size,
		orders: orders.length,
		problems,
	};
}

function isObject(v: unknown): v is Record<string, unknown> {
	return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sha256Hex(text: string): string {
	return createHash("sha256").update(new TextEncoder().encode(text)).digest("hex");
}

/** Orders two strings by their UTF-16 code units, one by one (RFC 8785 §3.2.3). */
function compareCodeUnits(a: string, b: string): number {
	const n = Math.min(a.length, b.length);
	for (let i = 0; i < n; i++) {
		const d = a.charCodeAt(i) - b.charCodeAt(i);
		if (d !== 0) return d;
	}
	return a.length - b.length;
}

/** RFC 8785 serialisation, written out (exported for the tests that hold it against the RFC). */
export function jcs(value: unknown): string {
	if (value === null) return "null";
	if (value === true) return "true";
	if (value === false) return "false";
	if (typeof value === "number") {
		if (!Number.isFinite(value)) throw new Error("a non-finite number");
		// §3.2.2.3: ECMAScript's Number-to-String; -0 is written 0.
		return Object.is(value, -0) ? "0" : String(value);
	}
	if (typeof value === "string") return jcsString(value);
	if (Array.isArray(value)) {
		const parts: string[] = [];
		for (const item of value) parts.push(jcs(item));
		return `[${parts.join(",")}]`;
	}
	if (isObject(value)) {
		const parts: string[] = [];
		for (const key of Object.keys(value).sort(compareCodeUnits)) parts.push(`${jcsString(key)}:${jcs(value[key])}`);
		return `{${parts.join(",")}}`;
	}
	throw new Error(`not JSON: ${typeof value}`);
}

const SHORT_ESCAPES: Record<number, string> = {
	8: "\\b",
	9: "\\t",
	10: "\\n",
	12: "\\f",
	13: "\\r",
	34: '\\"',
	92: "\\\\",
};

/** §3.2.2.2: `"` and `\` escaped, control characters as the short escapes or \u00xx; the rest as is. */
function jcsString(s: string): string {
	let out = '"';
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		if (c >= 0xd800 && c <= 0xdbff) {
			const next = s.charCodeAt(i + 1);
			if (!(next >= 0xdc00 && next <= 0xdfff)) throw new Error("a lone surrogate");
			out += s[i] + (s[i + 1] ?? "");
			i += 1;
			continue;
		}
		if (c >= 0xdc00 && c <= 0xdfff) throw new Error("a lone surrogate");
		const short = SHORT_ESCAPES[c];
		if (short !== undefined) out += short;
		else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, "0")}`;
		else out += s[i];
	}
	return `${out}"`;
}
