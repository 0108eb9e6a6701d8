// The draw (lib/draw.ts) against the worked example of docs/FAIRNESS.md, against an independent
// implementation with Node's crypto over random inputs, and at its edges. Plain Node, no bindings.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	BEACON_MAX_CHARS,
	batchOf,
	buyersHash,
	checkSeed,
	compareEntries,
	drawOrder,
	drawTickets,
	entryAt,
	isSeedHash,
	isValidBeacon,
	isValidSeed,
	SEED_MAX_CHARS,
	seedHashOf,
	sortedBuyerIds,
	ticketOf,
} from "./draw";

// ---- The independent implementation: API.md's words, Node's crypto, nothing of lib/draw. ----
const sha = (text: string) => createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex");
const byUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const ref = {
	seedHash: (seed: string) => sha(seed),
	buyersHash: (ids: string[]) => sha([...ids].sort(byUnits).join("\n")),
	ticket: (seed: string, beacon: string | null | undefined, id: string) => sha(`${seed}\n${beacon ?? ""}\n${id}`),
	order: (seed: string, beacon: string | null | undefined, ids: string[]) =>
		ids
			.map((id) => ({ id, t: ref.ticket(seed, beacon, id) }))
			.sort((a, b) => byUnits(a.t, b.t) || byUnits(a.id, b.id))
			.map((e) => e.id),
	entryAt: (openedAt: number, p: number, size: number, seconds: number) =>
		openedAt + Math.floor(p / size) * seconds * 1000,
};

// ---- The worked example, as docs/FAIRNESS.md shows it. ----
interface Example {
	buyers: string[];
	event: { openedAt: string; batchSize: number; batchSeconds: number };
	draw: {
		status: string;
		seedHash: string;
		buyersHash: string;
		buyerCount: number;
		seed: string;
		beacon: string;
		order: string[];
	};
	entries: { position: number; id: string; ticket: string; batch: number; entryAt: string }[];
}
const example = JSON.parse(readFileSync("docs/fairness-example.json", "utf8")) as Example;
const doc = readFileSync("docs/FAIRNESS.md", "utf8");

const API_ID = /^[A-Za-z0-9_-]{1,64}$/;
const idArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
const idsArb = fc.uniqueArray(idArb, { minLength: 1, maxLength: 40 });
// Any code point ("binary"): astral characters, controls, line breaks; always well-formed.
const seedArb = fc.string({ unit: "binary", minLength: 1, maxLength: 64 });
const beaconArb = fc.option(fc.string({ unit: "binary", maxLength: 64 }), { nil: undefined });

// The property runs print their seed, so a failure elsewhere replays: FC_SEED=<seed> npx vitest run …
const FC_SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log(`lib/draw.test.ts: fast-check seed ${FC_SEED} (replay with FC_SEED=${FC_SEED})`);

describe("the worked example (docs/FAIRNESS.md, docs/fairness-example.json)", () => {
	const { seed, beacon } = example.draw;

	it("recomputes the commitment, the buyer list, every ticket, the order and each entry time", async () => {
		expect(await seedHashOf(seed)).toBe(example.draw.seedHash);
		expect(await checkSeed(seed, example.draw.seedHash)).toBe(true);
		expect(await buyersHash(example.buyers)).toBe(example.draw.buyersHash);
		expect(example.draw.buyerCount).toBe(example.buyers.length);
		const entries = await drawTickets(seed, beacon, example.buyers);
		expect(entries).toEqual(example.entries.map((e) => ({ id: e.id, ticket: e.ticket })));
		expect(await drawOrder(seed, beacon, example.buyers)).toEqual(example.draw.order);
		const { openedAt, batchSize, batchSeconds } = example.event;
		for (const e of example.entries) {
			expect(await ticketOf(seed, beacon, e.id)).toBe(e.ticket);
			expect(batchOf(e.position, batchSize)).toBe(e.batch);
			expect(new Date(entryAt(Date.parse(openedAt), e.position, batchSize, batchSeconds)).toISOString()).toBe(
				e.entryAt,
			);
		}
	});

	it("agrees with the independent implementation", () => {
		expect(ref.seedHash(seed)).toBe(example.draw.seedHash);
		expect(ref.buyersHash(example.buyers)).toBe(example.draw.buyersHash);
		expect(ref.order(seed, beacon, example.buyers)).toEqual(example.draw.order);
		for (const e of example.entries) expect(ref.ticket(seed, beacon, e.id)).toBe(e.ticket);
	});

	it("is the example the doc shows: seed, beacon, hashes, and each row of its table", () => {
		for (const value of [seed, beacon, example.draw.seedHash, example.draw.buyersHash]) expect(doc).toContain(value);
		const rows = doc
			.split("\n")
			.filter((line) => /^\|\s*\d+\s*\|/.test(line))
			.map((line) =>
				line
					.split("|")
					.slice(1, -1)
					.map((cell) => cell.trim().replaceAll("`", "")),
			);
		expect(rows).toEqual(example.entries.map((e) => [String(e.position), e.id, e.ticket, String(e.batch), e.entryAt]));
		const { openedAt, batchSize, batchSeconds } = example.event;
		expect(doc).toContain(`\`openedAt\` = ${openedAt}`);
		expect(doc).toContain(`\`batchSize\` = ${batchSize}`);
		expect(doc).toContain(`\`batchSeconds\` = ${batchSeconds}`);
	});

	it("shows ids whose code-unit order differs from a locale's", () => {
		const units = sortedBuyerIds(example.buyers);
		expect(units).toEqual(["0815", "RC-0031", "Zhang_3", "_chen", "rc-0007"]);
		expect([...example.buyers].sort((a, b) => a.localeCompare(b, "en"))).not.toEqual(units);
	});
});

/** The fenced blocks of the doc, in order: [language, text]. */
const blocks = [...doc.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""] as const);
const has = (tool: string) => spawnSync("bash", ["-c", `command -v ${tool}`]).status === 0;

describe("the doc's shell commands (docs/FAIRNESS.md, 'Checking by hand') really work in bash", () => {
	it.skipIf(!has("sha256sum"))("print the commitment and the order the doc shows", () => {
		const at = blocks.findIndex(([lang, text]) => lang === "sh" && text.startsWith("seed='"));
		const [, commands] = blocks[at] ?? ["", ""];
		const [lang, shown] = blocks[at + 1] ?? ["", ""];
		expect(lang).toBe("text");
		const out = execFileSync("bash", ["-c", commands], { encoding: "utf8" });
		expect(out).toBe(shown);
		const lines = out.trimEnd().split("\n");
		expect(lines[0]).toBe(`${example.draw.seedHash}  -`);
		expect(lines[1]).toBe(`${example.draw.buyersHash}  -`);
		expect(lines.slice(2)).toEqual(example.entries.map((e) => `${e.ticket} ${e.id}`));
	});

	it.skipIf(!has("sha256sum") || !has("jq"))("check a saved draw.json (the commands for a real event)", () => {
		const [, commands] = blocks.find(([lang, text]) => lang === "sh" && text.startsWith("curl")) ?? ["", ""];
		const dir = mkdtempSync(join(tmpdir(), "kaipan-fairness-"));
		try {
			writeFileSync(join(dir, "draw.json"), JSON.stringify({ draw: example.draw }));
			const offline = commands
				.split("\n")
				.filter((line) => !line.startsWith("curl"))
				.join("\n");
			const out = execFileSync("bash", ["-c", offline], { cwd: dir, encoding: "utf8" });
			expect(out.trim().split(/\s+/)).toEqual([
				example.draw.seedHash,
				example.draw.buyersHash,
				String(example.draw.buyerCount),
				String(example.draw.buyerCount),
				"same",
				"order",
			]);
			// And a tampered order is caught.
			const swapped = { ...example.draw, order: [...example.draw.order].reverse() };
			writeFileSync(join(dir, "draw.json"), JSON.stringify({ draw: swapped }));
			const bad = spawnSync("bash", ["-c", offline], { cwd: dir, encoding: "utf8" });
			expect(bad.status).not.toBe(0);
			expect(bad.stdout).not.toContain("same order");
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe("against an independent implementation (Node's crypto), over random inputs", () => {
	it("seedHash, buyersHash, tickets and the order agree", async () => {
		await fc.assert(
			fc.asyncProperty(seedArb, beaconArb, idsArb, async (seed, beacon, ids) => {
				expect(await seedHashOf(seed)).toBe(ref.seedHash(seed));
				expect(await buyersHash(ids)).toBe(ref.buyersHash(ids));
				const entries = await drawTickets(seed, beacon, ids);
				expect(entries.map((e) => e.id)).toEqual(ref.order(seed, beacon, ids));
				for (const e of entries) expect(e.ticket).toBe(ref.ticket(seed, beacon, e.id));
			}),
			{ seed: FC_SEED, numRuns: 200 },
		);
	});

	it("entryAt and batchOf agree", () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: 4_102_444_800_000 }),
				fc.nat(1_000_000),
				fc.integer({ min: 1, max: 1000 }),
				fc.integer({ min: 10, max: 86_400 }),
				(openedAt, p, size, seconds) => {
					expect(entryAt(openedAt, p, size, seconds)).toBe(ref.entryAt(openedAt, p, size, seconds));
					expect(batchOf(p, size)).toBe(Math.floor(p / size));
				},
			),
			{ seed: FC_SEED },
		);
	});

	it("the order does not depend on how the list is given, and one more buyer moves no one else's turn", async () => {
		await fc.assert(
			fc.asyncProperty(seedArb, beaconArb, idsArb, idArb, async (seed, beacon, ids, extra) => {
				const order = await drawOrder(seed, beacon, ids);
				expect(await drawOrder(seed, beacon, [...ids].reverse())).toEqual(order);
				expect(await buyersHash([...ids].reverse())).toBe(await buyersHash(ids));
				if (ids.includes(extra)) return;
				const more = await drawOrder(seed, beacon, [...ids, extra]);
				expect(more.filter((id) => id !== extra)).toEqual(order);
			}),
			{ seed: FC_SEED, numRuns: 100 },
		);
	});
});

describe("edges", () => {
	const seed = "s";

	it("one buyer, and none", async () => {
		expect(await drawOrder(seed, "b", ["only"])).toEqual(["only"]);
		expect(await buyersHash(["only"])).toBe(sha("only"));
		expect(await drawOrder(seed, "b", [])).toEqual([]);
		expect(await buyersHash([])).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	});

	it("sorts ids by UTF-16 code units: '-' < '0' < 'B' < 'Z' < '_' < 'a', unlike localeCompare", async () => {
		const ids = ["a", "_", "Z", "B", "0", "-"];
		const units = ["-", "0", "B", "Z", "_", "a"];
		expect(sortedBuyerIds(ids)).toEqual(units);
		expect([...ids].sort((a, b) => a.localeCompare(b))).not.toEqual(units);
		expect(await buyersHash(ids)).toBe(sha("-\n0\nB\nZ\n_\na"));
		expect(sortedBuyerIds(["ab", "a", "B", "a-", "a_", "aB"])).toEqual(["B", "a", "a-", "aB", "a_", "ab"]);
	});

	it("breaks a tie of tickets by id, in code units", () => {
		const t = "0".repeat(64);
		const entries = [
			{ id: "a", ticket: t },
			{ id: "B", ticket: t },
			{ id: "_", ticket: t },
			{ id: "z", ticket: "1".repeat(64) },
			{ id: "0", ticket: `0${"f".repeat(63)}` },
		];
		expect(entries.sort(compareEntries).map((e) => e.id)).toEqual(["B", "_", "a", "0", "z"]);
	});

	it("a missing beacon is the empty one; any beacon changes every ticket", async () => {
		const ids = Array.from({ length: 20 }, (_, i) => `b${i}`);
		const empty = await drawTickets(seed, "", ids);
		expect(await drawTickets(seed, undefined, ids)).toEqual(empty);
		expect(await drawTickets(seed, null, ids)).toEqual(empty);
		expect(await ticketOf(seed, null, "b1")).toBe(sha("s\n\nb1"));
		const beaconed = await drawTickets(seed, "x", ids);
		for (const e of beaconed) expect(empty.find((f) => f.id === e.id)?.ticket).not.toBe(e.ticket);
		expect(beaconed.map((e) => e.id)).not.toEqual(empty.map((e) => e.id));
	});

	it("a Unicode seed and beacon are hashed as UTF-8", async () => {
		const unicode = "公证处摇号 2030 · 🎲 seed";
		expect(isValidSeed(unicode)).toBe(true);
		expect(await seedHashOf(unicode)).toBe(sha(unicode));
		expect(await checkSeed(unicode, sha(unicode))).toBe(true);
		// Hashed as given, never normalised: "é" and "e" + U+0301 are different seeds.
		expect(await checkSeed("caf\u0065\u0301", sha("caf\u00e9"))).toBe(false);
		expect(await checkSeed("caf\u00e9", sha("caf\u00e9"))).toBe(true);
		expect(await ticketOf(unicode, "信标", "b1")).toBe(
			createHash("sha256")
				.update(Buffer.concat([Buffer.from(unicode), Buffer.from([10]), Buffer.from("信标"), Buffer.from("\nb1")]))
				.digest("hex"),
		);
	});

	it("entry in batches: position batchSize − 1 is the last of batch 0, batchSize the first of batch 1", () => {
		const opened = Date.parse("2030-03-15T02:00:00.000Z");
		expect(batchOf(9, 10)).toBe(0);
		expect(batchOf(10, 10)).toBe(1);
		expect(entryAt(opened, 0, 10, 300)).toBe(opened);
		expect(entryAt(opened, 9, 10, 300)).toBe(opened);
		expect(entryAt(opened, 10, 10, 300)).toBe(opened + 300_000);
		expect(entryAt(opened, 19, 10, 300)).toBe(opened + 300_000);
		expect(entryAt(opened, 20, 10, 300)).toBe(opened + 600_000);
		expect(entryAt(opened, 3, 1, 10)).toBe(opened + 30_000);
		for (const bad of [
			() => batchOf(-1, 10),
			() => batchOf(1.5, 10),
			() => batchOf(0, 0),
			() => entryAt(Number.NaN, 0, 10, 300),
			() => entryAt(opened, 0, 10, 0),
			() => entryAt(opened, 0, 10, 1.5),
		]) {
			expect(bad).toThrow(RangeError);
		}
	});

	it("a seed that is not the committed one is refused, as are malformed seeds and hashes", async () => {
		const committed = sha("the real seed");
		expect(await checkSeed("the real seed", committed)).toBe(true);
		expect(await checkSeed("the real seed ", committed)).toBe(false);
		expect(await checkSeed("the real seed\n", committed)).toBe(false);
		expect(await checkSeed("The real seed", committed)).toBe(false);
		expect(await checkSeed("the real seed", committed.toUpperCase())).toBe(false);
		expect(await checkSeed("", sha(""))).toBe(false);
	});

	it("validates seedHash (64 lowercase hex), seed (1–256, well-formed) and beacon (≤ 256)", () => {
		expect(isSeedHash(sha("x"))).toBe(true);
		for (const bad of [sha("x").toUpperCase(), sha("x").slice(1), `${sha("x")}0`, `${sha("x").slice(1)}g`, "", 42]) {
			expect(isSeedHash(bad)).toBe(false);
		}
		expect(isValidSeed("x")).toBe(true);
		expect(isValidSeed("x".repeat(SEED_MAX_CHARS))).toBe(true);
		expect(isValidSeed("x".repeat(SEED_MAX_CHARS + 1))).toBe(false);
		expect(isValidSeed("")).toBe(false);
		expect(isValidSeed("🎲".repeat(128))).toBe(true);
		expect(isValidSeed("🎲".repeat(129))).toBe(false);
		expect(isValidSeed("a\uD800b")).toBe(false);
		expect(isValidSeed(null)).toBe(false);
		expect(isValidBeacon("")).toBe(true);
		expect(isValidBeacon("b".repeat(BEACON_MAX_CHARS))).toBe(true);
		expect(isValidBeacon("b".repeat(BEACON_MAX_CHARS + 1))).toBe(false);
		expect(isValidBeacon("\uDC00")).toBe(false);
	});

	it("a duplicate buyer id is a bug, thrown", async () => {
		await expect(drawOrder(seed, "", ["a", "b", "a"])).rejects.toThrow(RangeError);
		await expect(buyersHash(["a", "a"])).rejects.toThrow(RangeError);
	});
});

describe("speed", () => {
	// 100,000 buyers take ten times as long; the closing report of issue 12 gives both, measured in
	// Node and in workerd. Here only a generous bound, the machine being shared.
	it("draws 10,000 buyers in well under a few seconds", async () => {
		const ids = Array.from({ length: 10_000 }, (_, i) => `b${String(i).padStart(5, "0")}`);
		expect(ids.every((id) => API_ID.test(id))).toBe(true);
		const started = performance.now();
		const order = await drawOrder("7".repeat(64), "9".repeat(64), ids);
		const ms = performance.now() - started;
		console.log(`lib/draw.test.ts: 10,000 buyers drawn in ${ms.toFixed(0)} ms (Node WebCrypto)`);
		expect(order).toHaveLength(10_000);
		expect(new Set(order).size).toBe(10_000);
		expect(ms).toBeLessThan(5_000);
	}, 30_000);
});
