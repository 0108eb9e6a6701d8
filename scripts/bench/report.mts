// The benchmark's table, the machine it ran on, and the guarantee checks, written into
// docs/BENCHMARKS.md between the bench markers (the prose around them is kept as it is).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import type { CpuWindow } from "./cpu.mts";
import type { Check, Verdict } from "./guarantees.mts";
import type { Tally } from "./load.mts";

export interface PhaseRow {
	name: string;
	requests: number;
	seconds: number;
	throughput: number;
	/** Whether this row measures the ceiling itself. */
	isCeiling: boolean;
	p50: number;
	p99: number;
	max: number;
	outcomes: string;
	cpuPerRequestUs: number | null;
	serverCores: number | null;
	generatorCores: number | null;
}

export function phaseRow(
	name: string,
	tally: Tally,
	window: CpuWindow,
	options: { cpu?: boolean; isCeiling?: boolean } = {},
): PhaseRow {
	const withCpu = options.cpu !== false;
	const throughput = tally.count / window.wallSeconds;
	return {
		name,
		requests: tally.count,
		seconds: window.wallSeconds,
		throughput,
		isCeiling: options.isCeiling ?? false,
		...tally.summary(),
		outcomes: tally.outcomeText(),
		cpuPerRequestUs: withCpu && window.server !== null ? (window.server * 1e6) / tally.count : null,
		serverCores: withCpu && window.server !== null ? window.server / window.wallSeconds : null,
		generatorCores: withCpu ? window.generator / window.wallSeconds : null,
	};
}

export const REPORT_PATH = "docs/BENCHMARKS.md";
const START = "<!-- bench:start (written by npm run bench; edit outside these markers) -->";
const END = "<!-- bench:end -->";

export function writeReport(options: {
	rows: PhaseRow[];
	verdicts: { name: string; verdict: Verdict }[];
	targets: Check[];
	notes: string[];
	connections: number;
	write: boolean;
}): string {
	// The ratio is taken to the best ceiling of the run: on a shared machine the trivial route's rate
	// drifts, and the higher one is the stricter yardstick.
	const ceiling = Math.max(0, ...options.rows.filter((r) => r.isCeiling).map((r) => r.throughput));
	const n = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits });
	const ms = (x: number) => n(x, 1);
	const table = [
		"| phase | requests | s | req/s | of ceiling | p50 ms | p99 ms | max ms | outcomes | workerd CPU µs/req | workerd cores | generator cores |",
		"|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|",
		...options.rows
			.map((r) =>
				[
					r.name,
					n(r.requests),
					n(r.seconds, 1),
					n(r.throughput),
					r.isCeiling || ceiling === 0 ? "—" : `${n((r.throughput / ceiling) * 100)} %`,
					ms(r.p50),
					ms(r.p99),
					ms(r.max),
					r.outcomes,
					r.cpuPerRequestUs === null ? "—" : n(r.cpuPerRequestUs),
					r.serverCores === null ? "—" : n(r.serverCores, 2),
					r.generatorCores === null ? "—" : n(r.generatorCores, 2),
				].join(" | "),
			)
			.map((line) => `| ${line} |`),
	];
	const checks = options.verdicts.flatMap(({ name, verdict }) => [
		`- **${name}**: ${verdict.ok ? "every guarantee holds" : "**a guarantee FAILED**"}`,
		...verdict.checks.map((c) => `  - ${c.ok ? "✅" : "❌"} ${c.name} — ${c.detail}`),
	]);
	const block = [
		START,
		`Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${machine()}.`,
		`Code: ${codeVersion()}.`,
		`Load generator: this Node process (undici, ${options.connections} keep-alive connections, ${options.connections} requests in flight), on the same machine as workerd.`,
		"",
		...table,
		"",
		"Targets (issue 5, 2-core machine):",
		"",
		...options.targets.map((t) => `- ${t.ok ? "✅ met" : "❌ missed"}: ${t.name} — ${t.detail}`),
		"",
		"Guarantees, checked in D1 through the admin API after the phases:",
		"",
		...checks,
		"",
		...options.notes.map((note) => `- ${note}`),
		END,
	].join("\n");
	if (options.write) {
		const current = existsSync(REPORT_PATH) ? readFileSync(REPORT_PATH, "utf8") : "";
		const from = current.indexOf(START);
		const to = current.indexOf(END);
		const next =
			from >= 0 && to > from
				? current.slice(0, from) + block + current.slice(to + END.length)
				: `# Benchmarks\n\n${block}\n${current}`;
		writeFileSync(REPORT_PATH, next);
	}
	return block;
}

/** The commit measured, and whether the worker's code had uncommitted changes (they were measured too). */
function codeVersion(): string {
	try {
		const git = (...a: string[]) => execFileSync("git", a, { encoding: "utf8" }).trim();
		const dirty = git(
			"status",
			"--porcelain",
			"--",
			"worker",
			"durable-objects",
			"queue-consumers",
			"lib",
			"client",
			"db",
			"wrangler.toml",
		);
		return `commit ${git("rev-parse", "--short", "HEAD")}${dirty ? " plus uncommitted changes to the worker's code" : ""}`;
	} catch {
		return "not a git checkout";
	}
}

/** nproc, CPU model, memory, Node, workerd and Miniflare versions. */
function machine(): string {
	const cpuModel = cpus()[0]?.model.trim() ?? "unknown CPU";
	const memory = `${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
	return `${cpus().length} cores (${cpuModel}), ${memory} memory, Node ${process.version}, workerd ${workerdVersion()}, miniflare ${packageVersion("miniflare")}, wrangler ${packageVersion("wrangler")}`;
}

function packageVersion(name: string, from?: string): string {
	try {
		const require = createRequire(from ?? import.meta.url);
		return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string }).version;
	} catch {
		return "unknown";
	}
}

/** The workerd that miniflare runs (its own dependency, not the top-level one). */
function workerdVersion(): string {
	try {
		const require = createRequire(import.meta.url);
		const miniflareDir = dirname(require.resolve("miniflare/package.json"));
		const version = packageVersion("workerd", join(miniflareDir, "package.json"));
		const bin = createRequire(join(miniflareDir, "package.json")).resolve("workerd/bin/workerd");
		const reported = execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
		return `${version} (${reported})`;
	} catch {
		return packageVersion("workerd");
	}
}
