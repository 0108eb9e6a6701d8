// Checks a published lottery draw (摇号) as anyone can: a buyer, a notary (公证), a journalist.
//   npm run verify-draw -- <baseUrl> <eventId> [--seed-hash <hex>] [--buyers-hash <hex>] [--beacon <text>] [--buyer <id>]
//   npm run verify-draw -- --file <saved draw.json> [the same options]
//   npm run verify-draw -- <baseUrl> <eventId> --shuffle-listing <listingId> [--seed-hash <hex>] [--beacon <text>]
//     (a race event's shuffle window: GET /api/events/:eventId/shuffle?listingId=…, verifyShuffle)
// It fetches the public GET /api/events/:eventId/draw and recomputes everything with its own code
// (Node's crypto and API.md's words, nothing of lib/draw.ts, so that a mistake there cannot hide here):
// the seed is the committed one, the order's buyers are the frozen list, the order is the one the seed
// and the beacon give. --seed-hash, --buyers-hash and --beacon compare with what was announced.
// docs/FAIRNESS.md explains each step and how to do the same by hand.
// Exit code: 0 every check passed, 1 a check failed, 2 not drawn yet, 3 bad usage or no draw to read.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

export interface Expected {
	/** The seedHash announced at the commit (承诺). */
	seedHash?: string;
	/** The buyersHash announced at the commit. */
	buyersHash?: string;
	/** The beacon the announcement named (for example a drand round's randomness). */
	beacon?: string;
	/** A buyer id whose place to show (and to fail on, when it is not in the order). */
	buyer?: string;
}

export interface Check {
	ok: boolean;
	what: string;
	detail?: string;
}

export interface Verification {
	outcome: "verified" | "failed" | "not_drawn";
	exitCode: 0 | 1 | 2;
	/** What the draw says about itself, one line each. */
	summary: string[];
	checks: Check[];
	/** What this script cannot check, for the reader to. */
	todo: string[];
}

const HASH = /^[0-9a-f]{64}$/;
const BUYER_ID = /^[A-Za-z0-9_-]{1,64}$/;

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
/** UTF-16 code units, JavaScript's `<`, as API.md says; never localeCompare. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is string {
	return typeof value === "string" && !Number.isNaN(Date.parse(value));
}

/** What is wrong with a drawn draw's fields, as API.md gives them; empty when nothing is. */
function shapeProblems(d: Record<string, unknown>): string[] {
	const problems: string[] = [];
	if (typeof d.seedHash !== "string" || !HASH.test(d.seedHash)) problems.push("seedHash is not 64 lowercase hex");
	if (typeof d.buyersHash !== "string" || !HASH.test(d.buyersHash)) problems.push("buyersHash is not 64 lowercase hex");
	if (!Number.isSafeInteger(d.buyerCount) || (d.buyerCount as number) < 0) problems.push("buyerCount is not a count");
	if (typeof d.seed !== "string" || d.seed.length < 1 || d.seed.length > 256)
		problems.push("seed is not 1–256 characters");
	else if (!d.seed.isWellFormed()) problems.push("seed is not well-formed Unicode (a lone surrogate)");
	if (d.beacon !== null && (typeof d.beacon !== "string" || d.beacon.length > 256 || !d.beacon.isWellFormed())) {
		problems.push("beacon is neither null nor at most 256 characters");
	}
	if (!Array.isArray(d.order) || !d.order.every((id) => typeof id === "string"))
		problems.push("order is not a list of ids");
	if (!isTime(d.committedAt)) problems.push("committedAt is not a time");
	if (!isTime(d.drawnAt)) problems.push("drawnAt is not a time");
	return problems;
}

function expectedChecks(d: Record<string, unknown>, expected: Expected): Check[] {
	const checks: Check[] = [];
	if (expected.seedHash !== undefined) {
		checks.push({
			ok: d.seedHash === expected.seedHash.toLowerCase(),
			what: "seedHash is the one announced at the commit (--seed-hash)",
			detail: `published ${String(d.seedHash)}, announced ${expected.seedHash}`,
		});
	}
	if (expected.buyersHash !== undefined) {
		checks.push({
			ok: d.buyersHash === expected.buyersHash.toLowerCase(),
			what: "buyersHash is the one announced at the commit (--buyers-hash)",
			detail: `published ${String(d.buyersHash)}, announced ${expected.buyersHash}`,
		});
	}
	return checks;
}

function outcomeOf(checks: Check[], drawn: boolean): Pick<Verification, "outcome" | "exitCode"> {
	if (checks.some((c) => !c.ok)) return { outcome: "failed", exitCode: 1 };
	return drawn ? { outcome: "verified", exitCode: 0 } : { outcome: "not_drawn", exitCode: 2 };
}

/** Verifies a body of GET /api/events/:eventId/draw (`{draw: {…}}`). Pure: no I/O. */
export function verifyDraw(body: unknown, expected: Expected = {}): Verification {
	const d = isRecord(body) && isRecord(body.draw) ? body.draw : null;
	if (!d) {
		return {
			outcome: "failed",
			exitCode: 1,
			summary: [],
			checks: [{ ok: false, what: "the answer is a draw", detail: "expected {draw: {status, seedHash, …}}" }],
			todo: [],
		};
	}
	if (d.status === "none") {
		return {
			outcome: "not_drawn",
			exitCode: 2,
			summary: ["status: none — no draw committed yet"],
			checks: [],
			todo: [],
		};
	}
	if (d.status === "committed") {
		const checks = expectedChecks(d, expected);
		return {
			...outcomeOf(checks, false),
			summary: [
				`status: committed at ${String(d.committedAt)} — not drawn yet, nothing to recompute`,
				`seedHash:   ${String(d.seedHash)}`,
				`buyersHash: ${String(d.buyersHash)}`,
				`buyerCount: ${String(d.buyerCount)}`,
			],
			checks,
			todo: [
				"write down seedHash, buyersHash and buyerCount now (a screenshot, a notary's record); after the reveal run again",
				`with --seed-hash ${String(d.seedHash)} --buyers-hash ${String(d.buyersHash)}`,
			],
		};
	}
	if (d.status !== "drawn") {
		return {
			outcome: "failed",
			exitCode: 1,
			summary: [],
			checks: [
				{ ok: false, what: "the draw's status is none, committed or drawn", detail: `it is ${String(d.status)}` },
			],
			todo: [],
		};
	}

	const problems = shapeProblems(d);
	const checks: Check[] = [
		{ ok: problems.length === 0, what: "the draw is well-formed (API.md)", detail: problems.join("; ") },
	];
	if (typeof d.seed !== "string" || !Array.isArray(d.order) || !d.order.every((id) => typeof id === "string")) {
		return { outcome: "failed", exitCode: 1, summary: [`status: ${d.status}`], checks, todo: [] };
	}
	const seed = d.seed;
	const beacon = typeof d.beacon === "string" ? d.beacon : "";
	const order = d.order as string[];
	const summary = [
		`status: drawn · ${order.length} buyers in the order · committed ${String(d.committedAt)} · drawn ${String(d.drawnAt)}`,
		`seed:       ${JSON.stringify(seed)}`,
		`beacon:     ${d.beacon === null ? "null (none: the empty string)" : JSON.stringify(d.beacon)}`,
		`seedHash:   ${String(d.seedHash)}`,
		`buyersHash: ${String(d.buyersHash)}`,
	];

	const badIds = order.filter((id) => !BUYER_ID.test(id));
	const dupes = order.filter((id, i) => order.indexOf(id) !== i);
	checks.push({
		ok: badIds.length === 0 && dupes.length === 0,
		what: "every id in the order is a buyer id (^[A-Za-z0-9_-]{1,64}$), listed once",
		detail: [
			badIds.length ? `not ids: ${badIds.slice(0, 5).map((id) => JSON.stringify(id))}` : "",
			dupes.length ? `listed twice: ${[...new Set(dupes)].slice(0, 5).join(", ")}` : "",
		]
			.filter(Boolean)
			.join("; "),
	});
	checks.push({
		ok: d.buyerCount === order.length,
		what: `buyerCount (${String(d.buyerCount)}) is the number of buyers in the order (${order.length})`,
	});

	const seedHash = sha256(seed);
	checks.push({
		ok: seedHash === d.seedHash,
		what: "the seed is the committed one: SHA-256(seed) = seedHash",
		detail: `SHA-256(seed) = ${seedHash}`,
	});

	const sorted = [...order].sort(byCodeUnits);
	const listHash = sha256(sorted.join("\n"));
	checks.push({
		ok: listHash === d.buyersHash,
		what: "the order's buyers are the list frozen at the commit: SHA-256(ids sorted, joined by \\n) = buyersHash",
		detail: `SHA-256(sorted ids) = ${listHash}`,
	});

	const tickets = new Map(order.map((id) => [id, sha256(`${seed}\n${beacon}\n${id}`)]));
	const drawn = [...new Set(order)].sort(
		(a, b) => byCodeUnits(tickets.get(a) ?? "", tickets.get(b) ?? "") || byCodeUnits(a, b),
	);
	const first = drawn.findIndex((id, i) => order[i] !== id);
	const same = first === -1 && drawn.length === order.length;
	const at = first === -1 ? drawn.length : first;
	checks.push({
		ok: same,
		what: `the order is the one the seed and the beacon give (${tickets.size} tickets recomputed, sorted)`,
		detail: same
			? ""
			: `first difference at position ${at} (0-based): published ${JSON.stringify(order[at])}, recomputed ${JSON.stringify(drawn[at])}`,
	});

	if (isTime(d.committedAt) && isTime(d.drawnAt)) {
		checks.push({
			ok: Date.parse(d.committedAt) <= Date.parse(d.drawnAt),
			what: "the commit came before the draw (committedAt ≤ drawnAt)",
		});
	}
	checks.push(...expectedChecks(d, expected));
	if (expected.beacon !== undefined) {
		checks.push({
			ok: beacon === expected.beacon,
			what: "the beacon is the one announced (--beacon)",
			detail: `published ${JSON.stringify(d.beacon)}, announced ${JSON.stringify(expected.beacon)}`,
		});
	}
	if (expected.buyer !== undefined) {
		const position = order.indexOf(expected.buyer);
		checks.push({
			ok: position >= 0,
			what:
				position >= 0
					? `buyer ${expected.buyer} is at position ${position} (0-based; ${ordinal(position + 1)} to enter), ticket ${tickets.get(expected.buyer)}`
					: `buyer ${expected.buyer} is in the order`,
			detail: position >= 0 ? "" : "not found",
		});
	}

	const todo: string[] = [];
	if (expected.seedHash === undefined || expected.buyersHash === undefined) {
		todo.push(
			"that seedHash and buyersHash are the ones published at the commit, before the beacon was known (pass --seed-hash and --buyers-hash)",
		);
	}
	if (expected.beacon === undefined) {
		todo.push(
			"that the beacon is the public value the announcement named, e.g. the drand round's randomness (--beacon)",
		);
	}
	todo.push("that buyerCount agrees with the registration (认筹) records");
	if (expected.buyer === undefined) todo.push("that your own id is in the order (--buyer <id>)");
	return { ...outcomeOf(checks, true), summary, checks, todo };
}

/**
 * A race event's shuffle window (docs/FAIRNESS.md "The shuffle window"): the body of
 * GET /api/events/:eventId/shuffle?listingId=…, checked with this script's own SHA-256 — the seed is
 * the committed one, each claim's ticket is the one seed, beacon and buyer id give, and the claims were
 * served in ticket order (ties by buyer id). `expected.seedHash` and `expected.beacon` compare with
 * what was announced.
 */
export function verifyShuffle(body: unknown, expected: Expected = {}): Verification {
	const todo = [
		"that seedHash is the one published before the opening (pass --seed-hash)",
		"that the beacon is the public value the announcement named (pass --beacon)",
		"that no claim of the window is missing from the list (the ledger's hold_granted entries name every winner)",
	];
	const fail = (what: string): Verification => ({
		outcome: "failed",
		exitCode: 1,
		summary: [],
		checks: [{ ok: false, what }],
		todo,
	});
	const w = isRecord(body) && isRecord(body.shuffle) ? body.shuffle : null;
	if (!w) return fail("the answer is a shuffle window (API.md: {shuffle: {…}})");
	if (typeof w.seedHash !== "string" || !HASH.test(w.seedHash)) return fail("seedHash is 64 lowercase hex");
	const summary = [`window: ${String(w.shuffleSeconds)} s, ends ${String(w.windowEndsAt)}`, `seedHash: ${w.seedHash}`];
	if (typeof w.seed !== "string") {
		return { outcome: "not_drawn", exitCode: 2, summary, checks: expectedChecks(w, expected), todo };
	}
	const seed = w.seed;
	const beacon = typeof w.beacon === "string" ? w.beacon : "";
	const listing = isRecord(w.listing) ? w.listing : null;
	const claims = listing && Array.isArray(listing.claims) ? listing.claims.filter(isRecord) : null;
	if (!claims) return fail("the answer names a listing and its claims (pass a listingId)");
	summary.push(`listing ${String(listing?.listingId)}: ${claims.length} claims collected in the window`);
	const checks: Check[] = [
		{ ok: sha256(seed) === w.seedHash, what: "the seed is the committed one: SHA-256(seed) = seedHash" },
		...expectedChecks(w, expected),
		...(expected.beacon === undefined
			? []
			: [{ ok: beacon === expected.beacon, what: "the beacon is the one the announcement named (--beacon)" }]),
	];
	const wrongTickets = claims.filter(
		(c) => typeof c.buyerId !== "string" || c.ticket !== sha256(`${seed}\n${beacon}\n${c.buyerId}`),
	);
	checks.push({
		ok: wrongTickets.length === 0,
		what: `every ticket is SHA-256(seed + "\\n" + beacon + "\\n" + buyerId) (${claims.length} recomputed)`,
		...(wrongTickets.length ? { detail: `wrong: ${wrongTickets.map((c) => String(c.buyerId)).join(", ")}` } : {}),
	});
	const listed = claims.map((c) => `${String(c.ticket)} ${String(c.buyerId)}`);
	const sorted = [...claims]
		.sort(
			(a, b) => byCodeUnits(String(a.ticket), String(b.ticket)) || byCodeUnits(String(a.buyerId), String(b.buyerId)),
		)
		.map((c) => `${String(c.ticket)} ${String(c.buyerId)}`);
	checks.push({
		ok: listed.every((x, i) => x === sorted[i]) && claims.every((c, i) => c.rank === i),
		what: "the claims were served in ticket order (smallest first, ties by buyer id), ranks 0, 1, 2 …",
	});
	return { ...outcomeOf(checks, true), summary, checks, todo };
}

function ordinal(n: number): string {
	const tens = n % 100;
	const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
	return `${n}${suffix}`;
}

/** The report a person reads: what the draw says, each check ✓ or ✗, what is left to check, the verdict. */
export function formatReport(v: Verification, source?: string): string {
	const lines: string[] = [];
	if (source) lines.push(`Kaipan draw check — ${source}`);
	lines.push(...v.summary, "");
	for (const c of v.checks) {
		lines.push(`${c.ok ? "✓" : "✗"} ${c.what}`);
		if (c.detail && (!c.ok || c.detail.startsWith("SHA-256"))) lines.push(`    ${c.detail}`);
	}
	if (v.todo.length) {
		lines.push("", "Not checked here (see docs/FAIRNESS.md):");
		for (const t of v.todo) lines.push(`  - ${t}`);
	}
	lines.push(
		"",
		v.outcome === "verified"
			? "VERIFIED: the published order is exactly the one the committed seed, the beacon and the frozen buyer list give."
			: v.outcome === "not_drawn"
				? "NOT DRAWN YET: nothing to recompute (exit code 2)."
				: "FAILED: the published draw does not check out (✗ above).",
	);
	return lines.join("\n");
}

const USAGE = `usage: npm run verify-draw -- <baseUrl> <eventId> [options]
       npm run verify-draw -- --file <draw.json> [options]
options: --seed-hash <hex> --buyers-hash <hex> --beacon <text> --buyer <id>
        --shuffle-listing <listingId>  check a race event's shuffle window for that listing instead`;

interface Cli {
	baseUrl?: string;
	eventId?: string;
	file?: string;
	expected: Expected;
	/** Check this listing's shuffle window instead of a lottery draw. */
	shuffleListing?: string;
}

export function parseArgs(argv: string[]): Cli | null {
	const cli: Cli = { expected: {} };
	const positional: string[] = [];
	const options: Record<string, (v: string) => void> = {
		"--file": (v) => {
			cli.file = v;
		},
		"--seed-hash": (v) => {
			cli.expected.seedHash = v;
		},
		"--buyers-hash": (v) => {
			cli.expected.buyersHash = v;
		},
		"--beacon": (v) => {
			cli.expected.beacon = v;
		},
		"--buyer": (v) => {
			cli.expected.buyer = v;
		},
		"--shuffle-listing": (v) => {
			cli.shuffleListing = v;
		},
	};
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i] as string;
		const set = options[arg];
		if (set) {
			const value = argv[++i];
			if (value === undefined) return null;
			set(value);
		} else if (arg.startsWith("--")) return null;
		else positional.push(arg);
	}
	if (cli.file !== undefined) return positional.length === 0 ? cli : null;
	if (positional.length !== 2) return null;
	[cli.baseUrl, cli.eventId] = positional;
	return cli;
}

async function main(): Promise<number> {
	const cli = parseArgs(process.argv.slice(2));
	if (!cli) {
		console.error(USAGE);
		return 3;
	}
	let body: unknown;
	let source: string;
	if (cli.file !== undefined) {
		source = cli.file;
		try {
			body = JSON.parse(readFileSync(cli.file, "utf8"));
		} catch (err) {
			console.error(`cannot read ${cli.file}: ${(err as Error).message}`);
			return 3;
		}
	} else {
		const base = `${(cli.baseUrl ?? "").replace(/\/+$/, "")}/api/events/${encodeURIComponent(cli.eventId ?? "")}`;
		const url =
			cli.shuffleListing === undefined
				? `${base}/draw`
				: `${base}/shuffle?listingId=${encodeURIComponent(cli.shuffleListing)}`;
		source = `GET ${url}`;
		try {
			const res = await fetch(url, { headers: { accept: "application/json" } });
			const text = await res.text();
			if (!res.ok) {
				console.error(`${source}: HTTP ${res.status} ${text.slice(0, 300)}`);
				return 3;
			}
			body = JSON.parse(text);
		} catch (err) {
			console.error(`${source}: ${(err as Error).message}`);
			return 3;
		}
	}
	const verification =
		cli.shuffleListing === undefined ? verifyDraw(body, cli.expected) : verifyShuffle(body, cli.expected);
	console.log(formatReport(verification, source));
	return verification.exitCode;
}

if (import.meta.main) process.exitCode = await main();
