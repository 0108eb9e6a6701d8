// The chain's pure parts: RFC 8785 canonicalisation (the RFC's own examples), the hash, the worked
// example of docs/LEDGER.md byte for byte, and the writer and the verifier agreeing on any JSON.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HoldRecord, HoldStatus } from "./hold-record";
import {
	canonicalEntry,
	canonicalJson,
	chainEntry,
	contentSha256,
	entryHash,
	GENESIS_HASH,
	holdKind,
	holdLedgerInput,
	invalidInput,
	type LedgerEntry,
	type LedgerInput,
	ledgerTime,
} from "./ledger-chain";
import { jcs, verifyLedgerExport } from "./ledger-verifier";

/** RFC 8785 §3.2.2 and §3.2.3: the input as JSON text, and the canonical output. */
const RFC_INPUT = String.raw`{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`;
const RFC_OUTPUT = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
const RFC_SORTING: Record<string, string> = {
	"\u20ac": "Euro Sign",
	"\r": "Carriage Return",
	"\ufb33": "Hebrew Letter Dalet With Dagesh",
	"1": "One",
	"\ud83d\ude00": "Emoji: Grinning Face",
	"\u0080": "Control",
	"\u00f6": "Latin Small Letter O With Diaeresis",
};
const RFC_SORTED_KEYS = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"];

describe("canonical JSON (RFC 8785)", () => {
	for (const [name, canonical] of [
		["the writer", canonicalJson],
		["the verifier", jcs],
	] as const) {
		it(`${name}: the RFC's example of values`, () => {
			expect(canonical(JSON.parse(RFC_INPUT))).toBe(RFC_OUTPUT);
		});

		it(`${name}: the RFC's example of key order (UTF-16 code units, not code points)`, () => {
			const expected = RFC_SORTED_KEYS.map((k) => `${JSON.stringify(k)}:${JSON.stringify(RFC_SORTING[k])}`);
			expect(canonical(RFC_SORTING)).toBe(`{${expected.join(",")}}`);
		});

		it(`${name}: refuses what JSON cannot carry exactly`, () => {
			expect(() => canonical({ n: Number.NaN })).toThrow();
			expect(() => canonical({ n: Number.POSITIVE_INFINITY })).toThrow();
			expect(() => canonical({ s: "\ud800" })).toThrow();
			expect(canonical({ z: -0, a: [1, "x", { b: null, a: false }] })).toBe('{"a":[1,"x",{"a":false,"b":null}],"z":0}');
		});
	}

	it("the writer and the verifier agree on any JSON object", () => {
		fc.assert(
			fc.property(fc.dictionary(fc.string({ unit: "grapheme" }), fc.jsonValue()), (value) => {
				expect(jcs(value)).toBe(canonicalJson(value));
			}),
			{ numRuns: 300 },
		);
	});
});

describe("the hash", () => {
	it("is hex(SHA-256(UTF-8(prev + newline + canonical)))", () => {
		// sha256("0…0\n{}") computed elsewhere: printf '%s\n%s' 000…0 '{}' | sha256sum
		expect(entryHash(GENESIS_HASH, "{}")).toBe("5649d09ed68c17156095d175eef152856c5b1a81c117c409c1e00f096aa6838e");
	});

	it("chains: each entry's prev is the hash before it", () => {
		const first = chainEntry({ seq: 0, hash: GENESIS_HASH }, "2026-12-01T00:00:00.000Z", {
			kind: "event_created",
			actor: "admin",
			data: { name: "x" },
		});
		const second = chainEntry(first, "2026-12-01T00:00:00.001Z", { kind: "event_status", actor: "admin", data: {} });
		expect(first.seq).toBe(1);
		expect(first.prev).toBe(GENESIS_HASH);
		expect(second.seq).toBe(2);
		expect(second.prev).toBe(first.hash);
		expect(second.hash).toBe(entryHash(first.hash, canonicalEntry(second)));
	});

	it("contentSha256 is the SHA-256 of the canonical JSON, whatever the key order", () => {
		expect(contentSha256([{ b: 1, a: "x" }])).toBe(contentSha256([{ a: "x", b: 1 }]));
		expect(contentSha256([])).toBe("4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945");
	});
});

describe("times", () => {
	it("are ISO-8601 UTC with milliseconds and never earlier than the entry before", () => {
		expect(ledgerTime(Date.UTC(2026, 11, 1), null)).toBe("2026-12-01T00:00:00.000Z");
		expect(ledgerTime(Date.UTC(2026, 11, 1), "2026-12-01T00:00:05.000Z")).toBe("2026-12-01T00:00:05.000Z");
	});
});

describe("hold entries", () => {
	const hold = (status: HoldStatus, version: number): HoldRecord => ({
		holdId: "k4demo2L1abcdefghijklmnop",
		eventId: "demo",
		listingId: "L1",
		buyerId: "b1",
		status,
		priceCents: 100,
		expiresAt: status === "held" ? Date.UTC(2026, 11, 1, 0, 15) : null,
		createdAt: Date.UTC(2026, 11, 1),
		updatedAt: Date.UTC(2026, 11, 1, 0, version),
		version,
	});

	it("one kind per status, keyed by hold and version", () => {
		const kinds = (["held", "confirmed", "released", "cancelled", "expired"] as const).map(holdKind);
		expect(kinds).toEqual(["hold_granted", "hold_confirmed", "hold_released", "hold_cancelled", "hold_expired"]);
		const input = holdLedgerInput(hold("held", 1), "buyer:b1");
		expect(input.key).toBe("hold:k4demo2L1abcdefghijklmnop:1");
		expect(input.data).toMatchObject({ holdId: input.data.holdId, listingId: "L1", buyerId: "b1", status: "held" });
		expect(input.data.expiresAt).toBe("2026-12-01T00:15:00.000Z");
		expect(invalidInput(input)).toBeNull();
	});

	it("bad inputs are named before anything is written", () => {
		const good: LedgerInput = holdLedgerInput(hold("expired", 2), "system");
		expect(invalidInput({ ...good, key: "" })).toBe("key");
		expect(invalidInput({ ...good, kind: "Hold-Granted" as LedgerInput["kind"] })).toBe("kind");
		expect(invalidInput({ ...good, actor: "root" as LedgerInput["actor"] })).toBe("actor");
		expect(invalidInput({ ...good, data: { n: Number.NaN } })).toBe("data");
	});
});

/** The fenced block that follows `<!-- ledger-example:NAME -->` in docs/LEDGER.md. */
function docBlock(doc: string, name: string): string {
	const marker = `<!-- ledger-example:${name} -->`;
	const at = doc.indexOf(marker);
	if (at < 0) throw new Error(`docs/LEDGER.md has no ${marker}`);
	const match = /```[a-z]*\n([\s\S]*?)\n```/.exec(doc.slice(at));
	if (!match?.[1]) throw new Error(`no code block after ${marker}`);
	return match[1];
}

describe("the worked example of docs/LEDGER.md", () => {
	const doc = readFileSync("docs/LEDGER.md", "utf8");
	const lines = docBlock(doc, "export").split("\n");
	const entries = lines.map((l) => JSON.parse(l) as LedgerEntry);

	it("has three entries, each line exactly what the writer produces", () => {
		expect(entries).toHaveLength(3);
		let head = { seq: 0, hash: GENESIS_HASH };
		entries.forEach((e, i) => {
			const made = chainEntry(head, e.at, { kind: e.kind, actor: e.actor, data: e.data });
			// Byte for byte: the export's field order and the hash.
			expect(JSON.stringify(made)).toBe(lines[i]);
			head = made;
		});
	});

	it("shows each entry's canonical string, and its hash follows from it", () => {
		entries.forEach((e, i) => {
			const canonical = docBlock(doc, `canonical:${i + 1}`);
			expect(canonicalEntry(e)).toBe(canonical);
			expect(jcs({ seq: e.seq, at: e.at, kind: e.kind, actor: e.actor, data: e.data })).toBe(canonical);
			expect(entryHash(e.prev, canonical)).toBe(e.hash);
			expect(doc).toContain(`hash \`${e.hash}\``);
		});
	});

	it("verifies with the verifier, and the published head in the doc is its last hash", () => {
		const last = entries.at(-1);
		if (!last) throw new Error("no entries");
		const report = verifyLedgerExport(lines.join("\n"), { publishedHead: { seq: 3, hash: last.hash } });
		expect(report.problems).toEqual([]);
		expect(report.ok).toBe(true);
		expect(doc).toContain(`--head 3:${last.hash}`);
	});
});
