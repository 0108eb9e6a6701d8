// `npm run model`: the capacity model of the opening minute (docs/SCALE.md).
//   npm run model                 validation against the bench, then the opening at 10k and 100k buyers
//   npm run model -- --full       … and at 1M buyers, the sweeps at 100k, the fixes at 1M, every fix as
//                                 designed beside as built (minutes)
//   npm run model -- --only validation|scale|sweeps|fixes|built|cost|params
// Everything prints as Markdown; SCALE.md's tables are this command's output (it says which).
import { parseArgs } from "node:util";
import { openingCost } from "./cost.mts";
import type { Fixes, LimitReport, OpeningResult } from "./opening.mts";
import { runOpening } from "./opening.mts";
import { cloudflareCosts, loadBenchNumbers, localCosts, PUBLISHED } from "./params.mts";
import { ALL_FIXES, asBuiltFixes, type CloudOptions, cloudScenario, fixFor, validate, within } from "./scenarios.mts";

const { values: args } = parseArgs({
	options: {
		full: { type: "boolean", default: false },
		only: { type: "string", default: "" },
		seed: { type: "string", default: "42" },
		help: { type: "boolean", default: false },
	},
});
if (args.help) {
	console.log(`npm run model [-- --full] [--only validation|scale|sweeps|fixes|built|cost|params] [--seed N]`);
	process.exit(0);
}
const bench = loadBenchNumbers();
const seed = Number(args.seed);
const FULL = args.full;
const want = (section: string) => args.only === "" || args.only.split(",").includes(section);
const t0 = performance.now();
const note = (msg: string) => console.error(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${msg}`);

const n0 = (x: number) => Math.round(x).toLocaleString("en-US");
const n1 = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const pct = (model: number, ref: number) => `${model >= ref ? "+" : ""}${(((model - ref) / ref) * 100).toFixed(0)} %`;
const usd = (x: number) => (x < 0.01 ? `$${x.toFixed(4)}` : `$${x.toFixed(2)}`);

function table(header: string[], rows: (string | number)[][]): string {
	const align = header.map((_, i) =>
		rows.every((r) => typeof r[i] === "number" || /^[\d,.$+−-]/.test(String(r[i]))) ? "--:" : "---",
	);
	return [
		`| ${header.join(" | ")} |`,
		`| ${align.join(" | ")} |`,
		...rows.map((r) => `| ${r.map((c) => (typeof c === "number" ? n0(c) : c)).join(" | ")} |`),
	].join("\n");
}

/** JSON with every object's keys sorted, at every depth: the same options make the same key. */
function stableKey(value: unknown): string {
	if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
	if (Array.isArray(value)) return `[${value.map(stableKey).join(",")}]`;
	const entries = Object.entries(value as Record<string, unknown>)
		.filter(([, v]) => v !== undefined)
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
	return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableKey(v)}`).join(",")}}`;
}

/** Runs are memoised: the sections share the scenarios they have in common (1M buyers take minutes). */
const runs = new Map<string, OpeningResult>();

function run(o: CloudOptions): OpeningResult {
	const key = stableKey({ ...o, fixes: { ...(o.fixes ?? {}) } });
	const cached = runs.get(key);
	if (cached) return cached;
	const scenario = cloudScenario(bench, { seed, ...o });
	const started = performance.now();
	const r = runOpening(scenario);
	note(`${scenario.name}: ${n0(r.events)} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
	runs.set(key, r);
	return r;
}

/** The limits a run passed, earliest first; ties by how far past. */
function passed(r: OpeningResult): LimitReport[] {
	return r.limits
		.filter((l) => l.firstOverS !== null)
		.sort((a, b) => (a.firstOverS ?? 0) - (b.firstOverS ?? 0) || b.peak / b.limit - a.peak / a.limit);
}

function firstLimit(r: OpeningResult): string {
	const [first] = passed(r);
	if (!first) return "none";
	return `${first.what} (${n0(first.peak)} vs ${n0(first.limit)}, second ${first.firstOverS})`;
}

function opening(r: OpeningResult): (string | number)[] {
	const lim = (what: string) => r.limits.find((l) => l.what === what);
	const d1 = lim("D1: work offered ms/s");
	const hubWork = lim("hub (busiest): work offered ms/s");
	return [
		`${n0(r.buyers)} / ${n0(r.units)}`,
		r.isolates,
		`${n0(r.hottestListing.peakPerS)} (${n0(r.hottestListing.firstSecond)})`,
		r.objects.listings.peakPerS,
		r.objects.buyers.peakPerS,
		`${n0(r.objects.hub.peakPerS)} (${n0(hubWork?.peak ?? 0)} ms/s)`,
		r.objects.ledger.peakPerS,
		r.queueMsgs.peakPerS,
		`${n0(r.d1Queries.peakPerS)} (${n0(d1?.peak ?? 0)} ms/s)`,
		n1(r.lastGrantS),
		r.outcomes["503 overloaded"] ?? 0,
		n0(r.latency.claim.p99),
		firstLimit(r),
	];
}

const OPENING_HEADER = [
	"buyers / units",
	"isolates",
	"hottest listing req/s: peak (its 1st s)",
	"all listing objects, peak req/s",
	"buyer objects, peak req/s (all)",
	"hub req/s, all hub objects (busiest one's work ms/s)",
	"ledger appends/s",
	"queue msg/s",
	"D1 queries/s (work)",
	"last grant, s",
	"503s",
	"claim p99 ms",
	"first limit passed",
];

// --- the sections ------------------------------------------------------------------------------

if (want("params")) {
	const local = localCosts(bench, "crowd");
	const cloud = cloudflareCosts(bench);
	console.log(`## Parameters\n`);
	console.log(
		`Local costs: ${bench.source}, commit ${bench.commit}, measured ${bench.measuredAt}. Stall (local): ${n1(local.platform.stall?.ms ?? 0)} ms pauses, ${((local.platform.stall?.fraction ?? 0) * 100).toFixed(0)} % of the time.\n`,
	);
	const keys = Object.keys(local.costs) as (keyof typeof local.costs)[];
	console.log(
		table(
			["operation (ms of its thread)", "local", "how (local)", "cloudflare", "source (cloudflare)"],
			keys.map((k) => [
				k,
				(local.costs[k] ?? 0).toFixed(3),
				local.sources[k],
				(cloud.costs[k] ?? 0).toFixed(3),
				cloud.sources[k],
			]),
		),
	);
	console.log(`\nPublished limits:\n`);
	console.log(
		table(
			["limit", "value", "address"],
			Object.values(PUBLISHED).map((p) => [p.text, p.value, p.url]),
		),
	);
	console.log();
}

if (want("validation")) {
	note("validation: the bench's phases 1–4 on this machine's parameters");
	const v = validate(bench, { seed });
	console.log(`## Validation: the model on this machine's parameters against the bench\n`);
	console.log(
		`Bench: ${bench.source} (commit ${bench.commit}, ${bench.measuredAt}, ${bench.machine}). Checked rows must be within 25 %.\n`,
	);
	console.log(
		table(
			["phase", "metric", "bench", "model", "difference", "checked"],
			v.rows.map((r) => [
				r.phase,
				r.metric,
				n1(r.bench),
				n1(r.model),
				pct(r.model, r.bench),
				r.checked ? (within(r) ? "✅ within 25 %" : "❌ outside 25 %") : "—",
			]),
		),
	);
	const c = v.crowd;
	console.log(
		`\nModel's crowd: ${n0(c.paths.flag)} claims refused by a flag, ${n0(c.paths.listing)} reached a listing object, ${n0(c.paths.peeks)} flag renewals, ${n0(c.coldStarts)} cold object starts, ${n1(c.stallSeconds)} s of runtime pauses of ${n1(c.durationS)} s.\n`,
	);
}

if (want("scale")) {
	console.log(`## The opening minute on Cloudflare\n`);
	console.log(
		`Each row one run of \`npm run model${FULL ? " -- --full" : ""}\` (seed ${seed}): the code as it is (no fix), every buyer with a live page, the ledger on. Requests per second are the peak second's; "work" is the busiest second's milliseconds of that object's single thread (> 1,000: its queue only grows).\n`,
	);
	const sizes = FULL ? [10_000, 100_000, 1_000_000] : [10_000, 100_000];
	const rows: (string | number)[][] = [];
	const limits: string[] = [];
	for (const buyers of sizes) {
		for (const units of [500, 5000]) {
			const r = run({ buyers, units });
			rows.push(opening(r));
			limits.push(
				`- **${n0(buyers)} buyers, ${n0(units)} units**: ${passed(r)
					.map((l) => `${l.what} at second ${l.firstOverS} (peak ${n0(l.peak)} ${l.unit} vs ${n0(l.limit)})`)
					.join("; ")}`,
			);
		}
	}
	console.log(table(OPENING_HEADER, rows));
	console.log(`\nLimits passed, in the order they were passed:\n\n${limits.join("\n")}\n`);
}

if (want("sweeps")) {
	const buyers = FULL ? 100_000 : 10_000;
	const units = 500;
	// The knobs act on the claim path; with the hub and D1 as built, everything waits on those first
	// and the knobs barely show. So the sweeps run with the hub and D1 fixes on (not the flag fixes).
	const base: Partial<Fixes> = {
		freezeAtOpen: true,
		boardPerColo: true,
		hubCoalesce: true,
		shardedHub: Math.ceil(buyers / 5000),
		countsPerColo: true,
		batchLedger: true,
	};
	console.log(`## What moves the load (${n0(buyers)} buyers, ${units} units)\n`);
	console.log(
		"With the hub and D1 fixes on (terms frozen at opening, board per location, hub coalesced and sharded, counts per location, ledger batched) and the claim path as built, unless the row says otherwise.\n",
	);
	const rows: (string | number)[][] = [];
	const label = (what: string, r: OpeningResult) => [what, ...opening(r)];
	for (const isolates of [1, 10, 100, 1000, 10_000].filter((i) => i <= buyers / 5)) {
		rows.push(label(`isolates ${n0(isolates)}`, run({ buyers, units, isolates, fixes: base })));
	}
	rows.push(label("sold-out flags off", run({ buyers, units, fixes: { ...base, flagsOff: true } })));
	rows.push(
		label("flags pushed to every isolate (≤ 250 ms)", run({ buyers, units, fixes: { ...base, pushSoldOut: true } })),
	);
	rows.push(
		label(
			"flags pushed + first-wave budget",
			run({ buyers, units, fixes: { ...base, pushSoldOut: true, firstWaveBudget: true } }),
		),
	);
	rows.push(label("no retries after 503", run({ buyers, units, maxTriesPerUnit: 1, fixes: base })));
	for (const [batchSize, batchSeconds] of [
		[100, 60],
		[1000, 60],
		[1000, 10],
	] as const) {
		rows.push(
			label(
				`lottery: ${n0(batchSize)} every ${batchSeconds} s`,
				run({ buyers, units, lottery: { batchSize, batchSeconds }, fixes: base }),
			),
		);
	}
	rows.push(label("as built (no fix at all)", run({ buyers, units })));
	rows.push(label("as built, no live pages (no sockets)", run({ buyers, units, liveShare: 0 })));
	console.log(table(["run", ...OPENING_HEADER], rows));
	console.log();
}

if (want("fixes")) {
	const buyers = FULL ? 1_000_000 : 100_000;
	console.log(`## The fixes in the order the limits bite (${n0(buyers)} buyers)\n`);
	console.log(
		"Each row adds the fix for the first limit the row above passed (scenarios.mts `fixFor`), and runs again.\n",
	);
	for (const units of [500, 5000]) {
		const rows: (string | number)[][] = [];
		let on: Partial<Fixes> = {};
		let name = "as built";
		for (let step = 0; step < 10; step++) {
			const r = run({ buyers, units, fixes: on });
			rows.push([name, ...opening(r)]);
			const next = passed(r)
				.map((l) => fixFor(l, r, on))
				.find((f) => f !== null);
			if (!next) break;
			on = { ...on, ...next.fixes };
			name = `+ ${next.name}`;
		}
		console.log(`### ${n0(units)} units\n`);
		console.log(table(["fixes", ...OPENING_HEADER], rows));
		console.log();
	}
}

if (want("built") && (FULL || args.only !== "")) {
	// The design's every-fix row beside the fixes as built (one input hub, 250 shards at 1M): where the
	// first limit now is, on the code as it stands.
	const buyers = FULL ? 1_000_000 : 100_000;
	console.log(`## Every fix: as designed and as built (${n0(buyers)} buyers)\n`);
	const rows: (string | number)[][] = [];
	for (const units of [500, 5000]) {
		rows.push([`${n0(units)} units, as designed`, ...opening(run({ buyers, units, fixes: ALL_FIXES }))]);
		rows.push([`${n0(units)} units, as built`, ...opening(run({ buyers, units, fixes: asBuiltFixes(buyers) }))]);
	}
	console.log(table(["fixes", ...OPENING_HEADER], rows));
	console.log();
}

if (want("cost")) {
	console.log(`## Cost of an opening (500 units, marginal prices, no monthly allotments)\n`);
	const sizes = FULL ? [10_000, 100_000, 1_000_000] : [10_000, 100_000];
	for (const fixes of [{}, ALL_FIXES]) {
		const results = sizes.map((buyers) => run({ buyers, units: 500, fixes }));
		const costs = results.map((r) => openingCost(r));
		const items = costs[0]?.lines.map((l) => l.item) ?? [];
		console.log(`### ${Object.keys(fixes).length === 0 ? "As built" : "With every fix"}\n`);
		console.log(
			table(
				["item", "price", ...sizes.flatMap((b) => [`${n0(b)}: quantity`, `${n0(b)}: cost`])],
				items.map((item, i) => {
					const first = costs[0]?.lines[i];
					return [
						item,
						first ? `$${first.pricePerM}/M ${first.unit}` : "",
						...costs.flatMap((c) => {
							const l = c.lines[i];
							return l ? [n0(l.quantity), usd(l.usd)] : ["", ""];
						}),
					];
				}),
			),
		);
		console.log(`\nTotal: ${costs.map((c, i) => `${n0(sizes[i] ?? 0)} buyers ${usd(c.total)}`).join(", ")}.\n`);
	}
}

note("done");

if (want("regions")) {
	const { regionWins } = await import("./regions.mts");
	console.log(`## Fairness across regions: who wins a hot unit\n`);
	console.log(
		`Listing objects hinted to Tokyo (\`apac-ne\`); the unit's contenders click from six regions (published round trips in scripts/model/regions.mts); 2,000 openings of one hot unit each, seed ${seed}. "advantage" is the region's share of the wins over its share of the contenders (1: fair).\n`,
	);
	const settings = [
		{ contenders: 1_000, shuffleSeconds: 0 },
		{ contenders: 1_000, shuffleSeconds: 3 },
		{ contenders: 100, shuffleSeconds: 0 },
		{ contenders: 100, shuffleSeconds: 3 },
	];
	const results = settings.map((s) => ({ ...s, wins: regionWins({ ...s, trials: 2_000, seed }) }));
	const first = results[0]?.wins ?? [];
	console.log(
		table(
			[
				"buyer region",
				"round trip to Tokyo, ms",
				"claim arrives later than Tokyo's by, ms",
				"share of contenders",
				...results.map(
					(r) =>
						`wins (advantage): ${n0(r.contenders)} contenders, ${r.shuffleSeconds ? `${r.shuffleSeconds} s window` : "race"}`,
				),
			],
			first.map((w, i) => [
				w.region.name,
				w.region.rttMs.toFixed(1),
				w.headStartLostMs.toFixed(1),
				`${(w.region.share * 100).toFixed(0)} %`,
				...results.map((r) => {
					const x = r.wins[i];
					return x ? `${(x.winShare * 100).toFixed(1)} % (${x.advantage.toFixed(2)})` : "";
				}),
			]),
		),
	);
}
