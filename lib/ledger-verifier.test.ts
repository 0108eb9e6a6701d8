// The verifier against exports that were tampered with in each way a chain can be: every one is
// caught, and an untouched export passes. The fixtures are made with the writer's code; the verifier
// checks them with its own.
import { describe, expect, it } from "vitest";
import { chainEntry, GENESIS_HASH, type LedgerEntry, type LedgerInput } from "./ledger-chain";
import { verifyLedgerEntries, verifyLedgerExport } from "./ledger-verifier";

const hold = (holdId: string, status: string, version: number): Omit<LedgerInput, "key"> => ({
	kind: (
		{
			held: "hold_granted",
			confirmed: "hold_confirmed",
			released: "hold_released",
			cancelled: "hold_cancelled",
			expired: "hold_expired",
		} as const
	)[status as "held"],
	actor: status === "expired" ? "system" : "buyer:b1",
	data: { holdId, listingId: "L1", buyerId: "b1", status, version },
});

function chain(contents: Omit<LedgerInput, "key">[]): LedgerEntry[] {
	const out: LedgerEntry[] = [];
	let head = { seq: 0, hash: GENESIS_HASH };
	contents.forEach((c, i) => {
		const e = chainEntry(head, new Date(Date.UTC(2026, 11, 1, 2, 0, i)).toISOString(), c);
		out.push(e);
		head = e;
	});
	return out;
}

const ndjson = (entries: readonly unknown[]) => entries.map((e) => JSON.stringify(e)).join("\n");

const entries = chain([
	{ kind: "event_status", actor: "admin", data: { status: "open" } },
	hold("h1", "held", 1),
	hold("h2", "held", 1),
	hold("h1", "confirmed", 2),
	hold("h2", "expired", 2),
]);
const orders = [
	{ holdId: "h1", listingId: "L1", buyerId: "b1", status: "confirmed" },
	{ holdId: "h2", listingId: "L1", buyerId: "b1", status: "expired" },
];

describe("an untouched export", () => {
	it("verifies, with its orders and a published head", () => {
		const last = entries.at(-1);
		const report = verifyLedgerExport(ndjson(entries), {
			orders,
			publishedHead: { seq: 5, hash: last?.hash ?? "" },
		});
		expect(report).toMatchObject({ ok: true, entries: 5, holdEntries: 4, holds: 2, orders: 2, problems: [] });
		expect(report.head).toEqual({ seq: 5, hash: last?.hash });
	});

	it("an empty ledger verifies, and its head is seq 0 with 64 zeros", () => {
		expect(verifyLedgerExport("")).toMatchObject({ ok: true, head: { seq: 0, hash: GENESIS_HASH } });
	});
});

describe("tampering", () => {
	const tampered = (edit: (copy: LedgerEntry[]) => unknown[]) =>
		verifyLedgerEntries(edit(structuredClone(entries)), { orders });

	it("one field of one entry changed", () => {
		const report = tampered((c) => {
			const e = c[1];
			if (e) e.data.buyerId = "b9";
			return c;
		});
		expect(report.ok).toBe(false);
		expect(report.problems.join("\n")).toContain("seq 2: hash does not match its content");
	});

	it("an entry removed", () => {
		const report = tampered((c) => c.filter((e) => e.seq !== 3));
		expect(report.ok).toBe(false);
		expect(report.problems.join("\n")).toMatch(/seq 4, expected 3/);
		expect(report.problems.join("\n")).toContain("seq 4: prev does not match");
	});

	it("two entries swapped", () => {
		const report = tampered((c) => [c[0], c[2], c[1], c[3], c[4]]);
		expect(report.ok).toBe(false);
	});

	it("an entry changed and every hash after it recomputed: only a published head catches it", () => {
		// The same times (chain() derives them from the position), buyer b9 where b1 was granted.
		const forged = chain([
			{ kind: "event_status", actor: "admin", data: { status: "open" } },
			{ ...hold("h1", "held", 1), data: { ...hold("h1", "held", 1).data, buyerId: "b9" } },
			hold("h2", "held", 1),
			hold("h1", "confirmed", 2),
			hold("h2", "expired", 2),
		]);
		// Consistent in itself…
		expect(verifyLedgerEntries(forged).ok).toBe(true);
		// …but the head published before it no longer matches.
		const published = entries.at(-1);
		const report = verifyLedgerEntries(forged, { publishedHead: { seq: 5, hash: published?.hash ?? "" } });
		expect(report.ok).toBe(false);
		expect(report.problems.join("\n")).toContain("published head seq 5: the ledger's entry has another hash");
	});

	it("an entry added at the end by someone without the chain's code (wrong hash)", () => {
		const last = entries.at(-1);
		const report = tampered((c) => [
			...c,
			{
				seq: 6,
				at: "2026-12-01T03:00:00.000Z",
				kind: "hold_released",
				actor: "admin",
				data: {},
				prev: last?.hash,
				hash: "0".repeat(64),
			},
		]);
		expect(report.ok).toBe(false);
	});

	it("a hold's version recorded twice, and a time that goes back", () => {
		const twice = chain([hold("h1", "held", 1), hold("h1", "held", 1)]);
		expect(verifyLedgerEntries(twice).problems.join("\n")).toContain("hold h1 version 1 recorded twice");
		const back = chain([hold("h1", "held", 1), hold("h1", "confirmed", 2)]);
		const e2 = back[1];
		if (!e2) throw new Error("no entry");
		const rewound = chainEntry(back[0] ?? { seq: 0, hash: GENESIS_HASH }, "2026-12-01T01:00:00.000Z", e2);
		expect(verifyLedgerEntries([back[0], rewound]).problems.join("\n")).toContain("is earlier than the entry before");
	});

	it("a line that is not JSON, an entry with a field too many", () => {
		expect(verifyLedgerExport(`${ndjson(entries)}\n{not json`).problems).toContain("line 6: not JSON");
		const report = tampered((c) => c.map((e, i) => (i === 0 ? { ...e, note: "x" } : e)));
		expect(report.problems.join("\n")).toContain("entry 1: fields are");
	});
});

describe("against D1's orders", () => {
	it("an order missing from the ledger, or with another final status, is reported", () => {
		const report = verifyLedgerEntries(entries, {
			orders: [
				{ holdId: "h1", listingId: "L1", buyerId: "b1", status: "released" },
				{ holdId: "h3", listingId: "L1", buyerId: "b1", status: "held" },
			],
		});
		expect(report.ok).toBe(false);
		expect(report.problems).toEqual([
			"order h1: D1 says released, the ledger's last entry says confirmed",
			"order h3 (held): not in the ledger",
		]);
	});
});
