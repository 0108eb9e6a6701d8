// npm run verify-draw (scripts/verify-draw.mts) on the worked example of docs/FAIRNESS.md, and on
// tampered copies of it: each one must be caught, by the check that names what was tampered with.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Check, formatReport, parseArgs, type Verification, verifyDraw, verifyShuffle } from "./verify-draw.mts";

interface Draw {
	status: string;
	seedHash: string | null;
	buyersHash: string | null;
	buyerCount: number | null;
	committedAt: string | null;
	seed: string | null;
	beacon: string | null;
	drawnAt: string | null;
	order: string[] | null;
}
const example = JSON.parse(readFileSync("docs/fairness-example.json", "utf8")) as { draw: Draw };
const good = (): Draw => structuredClone(example.draw);
const sha = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** The checks that failed, by the start of their wording. */
const failed = (v: Verification) => v.checks.filter((c: Check) => !c.ok).map((c) => c.what);

describe("verify-draw", () => {
	it("verifies the worked example, and prints the report the doc shows", () => {
		const v = verifyDraw({ draw: good() }, { buyer: "_chen" });
		expect(failed(v)).toEqual([]);
		expect(v).toMatchObject({ outcome: "verified", exitCode: 0 });
		const report = formatReport(v, "docs/fairness-example.json");
		expect(report).toContain("VERIFIED");
		expect(report).toContain("buyer _chen is at position 2 (0-based; 3rd to enter)");
		const doc = readFileSync("docs/FAIRNESS.md", "utf8");
		expect(doc).toContain(`$ npm run verify-draw -- --file docs/fairness-example.json --buyer _chen\n${report}\n`);
	});

	it("catches two buyers swapped", () => {
		const d = good();
		const order = d.order as string[];
		[order[1], order[2]] = [order[2] as string, order[1] as string];
		const v = verifyDraw({ draw: d });
		expect(v).toMatchObject({ outcome: "failed", exitCode: 1 });
		expect(failed(v)).toEqual([expect.stringMatching(/^the order is the one the seed and the beacon give/)]);
		expect(formatReport(v)).toContain(
			'first difference at position 1 (0-based): published "_chen", recomputed "rc-0007"',
		);
	});

	it("catches a buyer dropped, with or without the count adjusted", () => {
		const d = good();
		d.order = (d.order as string[]).filter((id) => id !== "_chen");
		expect(failed(verifyDraw({ draw: d }))).toEqual([
			expect.stringMatching(/^buyerCount/),
			expect.stringMatching(/^the order's buyers are the list frozen at the commit/),
		]);
		d.buyerCount = 4;
		expect(failed(verifyDraw({ draw: d }))).toEqual([
			expect.stringMatching(/^the order's buyers are the list frozen at the commit/),
		]);
	});

	it("catches a buyer added, or one listed twice", () => {
		const added = good();
		added.order = [...(added.order as string[]), "late-friend"];
		added.buyerCount = 6;
		const v = verifyDraw({ draw: added });
		expect(failed(v)).toContain(
			"the order's buyers are the list frozen at the commit: SHA-256(ids sorted, joined by \\n) = buyersHash",
		);
		const twice = good();
		(twice.order as string[])[4] = "Zhang_3";
		expect(failed(verifyDraw({ draw: twice }))).toEqual(
			expect.arrayContaining([expect.stringMatching(/listed once$/), expect.stringMatching(/^the order is the one/)]),
		);
	});

	it("catches another beacon, and a beacon dropped", () => {
		const d = good();
		d.beacon = `${(d.beacon as string).slice(0, -1)}8`;
		expect(failed(verifyDraw({ draw: d }))).toEqual([
			expect.stringMatching(/^the order is the one the seed and the beacon give/),
		]);
		d.beacon = null;
		expect(failed(verifyDraw({ draw: d }))).toEqual([expect.stringMatching(/^the order is the one/)]);
		const announced = verifyDraw({ draw: good() }, { beacon: "another value" });
		expect(failed(announced)).toEqual(["the beacon is the one announced (--beacon)"]);
	});

	it("catches a seed that is not the committed one, and a commitment rewritten to match it", () => {
		const d = good();
		d.seed = `${d.seed}x`;
		expect(failed(verifyDraw({ draw: d }))).toEqual([
			"the seed is the committed one: SHA-256(seed) = seedHash",
			expect.stringMatching(/^the order is the one/),
		]);
		// A consistent fake: another seed, its hash, the order it gives. Only the commitment the reader
		// wrote down at the commit catches it.
		d.seedHash = sha(d.seed);
		const tickets = (d.order as string[]).map((id) => [sha(`${d.seed}\n${d.beacon}\n${id}`), id] as const);
		d.order = tickets.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, id]) => id);
		expect(failed(verifyDraw({ draw: d }))).toEqual([]);
		expect(failed(verifyDraw({ draw: d }, { seedHash: example.draw.seedHash as string }))).toEqual([
			"seedHash is the one announced at the commit (--seed-hash)",
		]);
		expect(formatReport(verifyDraw({ draw: d }))).toContain("pass --seed-hash and --buyers-hash");
	});

	it("a buyer not in the order fails its own check", () => {
		expect(failed(verifyDraw({ draw: good() }, { buyer: "b9999" }))).toEqual(["buyer b9999 is in the order"]);
	});

	it("sorts ids by code units, not by a locale", () => {
		// The same draw, its order recomputed by localeCompare: another buyersHash, caught.
		const d = good();
		const locale = [...(d.order as string[])].sort((a, b) => a.localeCompare(b));
		expect(sha(locale.join("\n"))).not.toBe(d.buyersHash);
		expect(failed(verifyDraw({ draw: d }))).toEqual([]);
	});

	it("not drawn yet: says so, shows the commitment to write down, exit code 2", () => {
		const none = verifyDraw({
			draw: {
				status: "none",
				seedHash: null,
				buyersHash: null,
				buyerCount: null,
				committedAt: null,
				seed: null,
				beacon: null,
				drawnAt: null,
				order: null,
			},
		});
		expect(none).toMatchObject({ outcome: "not_drawn", exitCode: 2, checks: [] });
		expect(formatReport(none)).toContain("NOT DRAWN YET");
		const committed = { ...good(), status: "committed", seed: null, beacon: null, drawnAt: null, order: null };
		const v = verifyDraw({ draw: committed });
		expect(v).toMatchObject({ outcome: "not_drawn", exitCode: 2 });
		expect(formatReport(v)).toContain(`--seed-hash ${example.draw.seedHash}`);
		// A commitment that is not the announced one fails already.
		expect(verifyDraw({ draw: committed }, { buyersHash: sha("x") })).toMatchObject({ outcome: "failed", exitCode: 1 });
	});

	it("anything else is a failure, not a crash", () => {
		for (const body of [
			null,
			"x",
			{},
			{ draw: null },
			{ draw: { status: "drawn" } },
			{ draw: { status: "shuffled" } },
		]) {
			expect(verifyDraw(body)).toMatchObject({ outcome: "failed", exitCode: 1 });
		}
		const d = good();
		d.seedHash = (d.seedHash as string).toUpperCase();
		expect(failed(verifyDraw({ draw: d }))).toContain("the draw is well-formed (API.md)");
		const late = { ...good(), committedAt: "2030-03-15T00:00:00.000Z" };
		expect(failed(verifyDraw({ draw: late }))).toEqual(["the commit came before the draw (committedAt ≤ drawnAt)"]);
	});

	it("parses its arguments", () => {
		expect(parseArgs(["http://x", "e1"])).toEqual({ baseUrl: "http://x", eventId: "e1", expected: {} });
		expect(parseArgs(["--file", "d.json", "--buyer", "b1", "--seed-hash", "ab"])).toEqual({
			file: "d.json",
			expected: { buyer: "b1", seedHash: "ab" },
		});
		for (const bad of [[], ["http://x"], ["http://x", "e1", "e2"], ["--file"], ["--file", "d", "x"], ["--nope", "1"]]) {
			expect(parseArgs(bad)).toBeNull();
		}
	});

	it("runs from the command line: exit 0 on the example, 1 on a tampered copy, 2 not drawn, 3 bad usage", () => {
		const dir = mkdtempSync(join(tmpdir(), "kaipan-verify-draw-"));
		const run = (...args: string[]) =>
			spawnSync(process.execPath, ["--import", "tsx", "scripts/verify-draw.mts", ...args], { encoding: "utf8" });
		try {
			const ok = run("--file", "docs/fairness-example.json");
			expect(ok.status, ok.stderr).toBe(0);
			expect(ok.stdout).toContain("✓ the order is the one the seed and the beacon give");
			const tampered = join(dir, "tampered.json");
			writeFileSync(tampered, JSON.stringify({ draw: { ...good(), beacon: "x" } }));
			const bad = run("--file", tampered);
			expect(bad.status).toBe(1);
			expect(bad.stdout).toContain("✗ the order is the one the seed and the beacon give");
			const pending = join(dir, "pending.json");
			writeFileSync(pending, JSON.stringify({ draw: { ...good(), status: "committed", seed: null, order: null } }));
			expect(run("--file", pending).status).toBe(2);
			expect(run().status).toBe(3);
			expect(run("--file", join(dir, "missing.json")).status).toBe(3);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}, 60_000);
});

describe("verifyShuffle (a race event's shuffle window)", () => {
	const seed = "window-seed-0123456789abcdef";
	const beacon = "drand-round-1";
	const h = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
	const buyers = ["B1", "B2", "B3", "B4", "B5"];
	const claims = buyers
		.map((buyerId) => ({ buyerId, ticket: h(`${seed}\n${beacon}\n${buyerId}`) }))
		.sort((a, b) => (a.ticket < b.ticket ? -1 : 1))
		.map((c, rank) => ({
			...c,
			rank,
			arrivedAt: "2030-01-01T00:00:00.000Z",
			outcome: rank === 0 ? "granted" : "sold_out",
		}));
	const body = (over: Record<string, unknown> = {}) => ({
		shuffle: {
			shuffleSeconds: 3,
			seedHash: h(seed),
			windowEndsAt: "2030-01-01T00:00:03.000Z",
			seed,
			beacon,
			listing: { listingId: "L1", servedAt: "2030-01-01T00:00:03.001Z", claims },
			...over,
		},
	});

	it("verifies a window served in ticket order, with the announced hash and beacon", () => {
		const v = verifyShuffle(body(), { seedHash: h(seed), beacon });
		expect(v.checks.filter((c) => !c.ok)).toEqual([]);
		expect(v.exitCode).toBe(0);
	});

	it("fails a window served in another order, a ticket not from the seed, or another seed", () => {
		const swapped = [claims[1], claims[0], ...claims.slice(2)].map((c, rank) => ({ ...c, rank }));
		expect(verifyShuffle(body({ listing: { listingId: "L1", servedAt: null, claims: swapped } })).exitCode).toBe(1);
		const forged = claims.map((c, i) => (i === 2 ? { ...c, ticket: h("x") } : c));
		expect(verifyShuffle(body({ listing: { listingId: "L1", servedAt: null, claims: forged } })).exitCode).toBe(1);
		expect(verifyShuffle(body({ seed: "another" })).exitCode).toBe(1);
		expect(verifyShuffle(body(), { beacon: "not-the-one" }).exitCode).toBe(1);
	});

	it("before the window ended (no seed yet): not drawn, exit 2", () => {
		expect(verifyShuffle(body({ seed: null, beacon: null, listing: null })).exitCode).toBe(2);
	});
});
