// The capacity model against the bench it was built from (bench-numbers.json: docs/BENCHMARKS.md's
// table at the commit it names), and a few things the model must get right whatever its parameters.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NO_FIXES, runOpening } from "./opening.mts";
import { loadBenchNumbers } from "./params.mts";
import { ALL_FIXES, AS_BUILT_FEED_INPUTS, asBuiltFixes, cloudScenario, validate, within } from "./scenarios.mts";
import { Sim } from "./sim.mts";

const bench = loadBenchNumbers();

describe("the model on this machine's parameters", () => {
	it("reproduces the bench's throughput and p99 within 25 %, phases 1 to 4 (seed 42)", () => {
		const { rows } = validate(bench, { seed: 42 });
		const checked = rows.filter((r) => r.checked);
		expect(checked.map((r) => `${r.phase} ${r.metric}`)).toEqual([
			"1. ceiling req/s",
			"1. ceiling p99 ms",
			"2. sold-out → 409 req/s",
			"2. sold-out → 409 p99 ms",
			"3. winning → 201 req/s",
			"3. winning → 201 p99 ms",
			"4. mixed crowd req/s",
			"4. mixed crowd p99 ms",
		]);
		for (const row of checked) {
			expect(within(row), `${row.phase} ${row.metric}: model ${row.model.toFixed(1)} vs bench ${row.bench}`).toBe(true);
		}
	}, 120_000);

	it("sells every unit of the crowd exactly once, as the bench's guarantees found", () => {
		const { crowd } = validate(bench, { buyers: 2000, seed: 7 });
		expect(crowd.grants).toBe(100);
		expect(crowd.outcomes["201"]).toBe(100);
		expect(crowd.buyerOutcomes["holds a unit"]).toBe(100);
	}, 60_000);
});

describe("the model on Cloudflare's parameters", () => {
	const small = { buyers: 5000, units: 100, isolates: 50 };

	it("gives the same answer for the same seed", () => {
		const a = runOpening(cloudScenario(bench, { ...small, seed: 3 }));
		const b = runOpening(cloudScenario(bench, { ...small, seed: 3 }));
		expect(a.requests).toBe(b.requests);
		expect(a.latency.claim.p99).toBe(b.latency.claim.p99);
	}, 60_000);

	it("grants each unit once and nobody two, with or without the fixes", () => {
		for (const fixes of [NO_FIXES, ALL_FIXES]) {
			const r = runOpening(cloudScenario(bench, { ...small, fixes }));
			expect(r.grants).toBe(small.units);
			expect(r.outcomes["201"] ?? 0).toBeLessThanOrEqual(small.units);
		}
	}, 60_000);

	it("finds the hub is the first limit when every buyer holds a live socket, and the fixes clear it", () => {
		const built = runOpening(cloudScenario(bench, small));
		const first = built.limits
			.filter((l) => l.firstOverS !== null)
			.sort((x, y) => (x.firstOverS ?? 0) - (y.firstOverS ?? 0));
		expect(first[0]?.what).toMatch(/^hub/);
		const fixed = runOpening(cloudScenario(bench, { ...small, fixes: ALL_FIXES }));
		expect(fixed.limits.filter((l) => l.firstOverS !== null)).toEqual([]);
	}, 60_000);

	it("as built: the K feed inputs wrangler.toml ships, the staff hub beside them, and no limit passed", () => {
		const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
		expect(Number(/^LIVE_FEED_INPUTS = "(\d+)"/m.exec(toml)?.[1])).toBe(AS_BUILT_FEED_INPUTS);
		const r = runOpening(cloudScenario(bench, { ...small, fixes: asBuiltFixes(small.buyers) }));
		expect(r.grants).toBe(small.units);
		expect(r.limits.filter((l) => l.firstOverS !== null)).toEqual([]);
	}, 60_000);

	it("the orders consumer's hub push is one request per input its batch touches, not one per unit", () => {
		const r = runOpening(cloudScenario(bench, { ...small, fixes: { ...asBuiltFixes(small.buyers), hubInputs: 1 } }));
		// The fast path: one request per grant. The consumer: one per batch (per unit it would be 2 × units).
		expect(r.hub.inputRequests).toBeGreaterThan(small.units);
		expect(r.hub.inputRequests).toBeLessThan(1.5 * small.units);
		const k = runOpening(cloudScenario(bench, { ...small, fixes: asBuiltFixes(small.buyers) }));
		// K inputs: a batch is one request per input it touches, at most K.
		expect(k.hub.inputRequests).toBeGreaterThan(r.hub.inputRequests);
		expect(k.hub.inputRequests).toBeLessThan(
			small.units + (r.hub.inputRequests - small.units) * AS_BUILT_FEED_INPUTS + 1,
		);
	}, 60_000);

	it("keeps a hot unit's first wave under its object's limit with the first-wave budget", () => {
		const r = runOpening(cloudScenario(bench, { buyers: 20_000, units: 100, isolates: 200, fixes: ALL_FIXES }));
		expect(r.hottestListing.peakPerS).toBeLessThanOrEqual(1000);
	}, 60_000);
});

describe("the event loop", () => {
	it("runs events in time order, same-time events in the order they were scheduled", () => {
		const sim = new Sim();
		const seen: string[] = [];
		sim.at(5, () => seen.push("b"));
		sim.at(1, () => seen.push("a"));
		sim.at(5, () => seen.push("c"));
		sim.at(3, () => sim.after(2, () => seen.push("d")));
		sim.run();
		expect(seen).toEqual(["a", "b", "c", "d"]);
		expect(sim.now).toBe(5);
	});
});

describe("fairness across regions (regions.mts)", () => {
	it("in a race the region nearest the object takes the hot unit; a shuffle window gives each region its share", async () => {
		const { regionWins } = await import("./regions.mts");
		const race = regionWins({ contenders: 1_000, trials: 1_000, shuffleSeconds: 0, seed: 42 });
		expect(race[0]?.advantage).toBeGreaterThan(1.5);
		expect(race.at(-1)?.winShare).toBe(0);
		const window = regionWins({ contenders: 1_000, trials: 1_000, shuffleSeconds: 3, seed: 42 });
		for (const w of window) expect(w.advantage, w.region.name).toBeGreaterThan(0.7);
		for (const w of window) expect(w.advantage, w.region.name).toBeLessThan(1.3);
	});
});
