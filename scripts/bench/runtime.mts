// The leanest local runtime that runs the real bundle with all of its bindings: the worker exactly as
// `wrangler deploy` bundles it, served by Miniflare straight from this process (no `wrangler dev`
// proxies in front). The bindings come from wrangler.toml through wrangler's own
// unstable_getMiniflareWorkerOptions, so nothing here repeats the config; secrets are the documented
// local defaults of .dev.vars.example (a fresh clone has no .dev.vars).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, type V4WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from "wrangler";

export interface Runtime {
	/** http://127.0.0.1:<port> */
	url: string;
	/** The workerd process that runs the worker and every object (for CPU accounting). */
	workerdPid: number | null;
	dispose(): Promise<void>;
}

export interface RuntimeOptions {
	port?: number;
	/**
	 * The project to bundle and configure from (default: the current directory). A patched copy of
	 * the repository lets a proposed change be measured before it is made.
	 */
	project?: string;
	/** Replace wrangler.toml's vars/secrets for this run (e.g. tuning experiments). */
	vars?: Record<string, string>;
}

const require = createRequire(import.meta.url);

/** `wrangler deploy --dry-run`: the very module that would be uploaded. */
export function bundleWorker(outdir: string, project = "."): string {
	// The package exports no bin path; resolve it beside its package.json.
	const wrangler = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
	const run = spawnSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], {
		cwd: project,
		env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
		encoding: "utf8",
	});
	if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${run.stdout}\n${run.stderr}`);
	return join(outdir, "index.js");
}

export function readDevVars(path = ".dev.vars.example"): Record<string, string> {
	return Object.fromEntries(
		readFileSync(path, "utf8")
			.split("\n")
			.filter((l) => /^[A-Z_]+=/.test(l))
			.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
	);
}

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
	const work = mkdtempSync(join(tmpdir(), "kaipan-bench-"));
	try {
		const project = resolve(options.project ?? ".");
		const scriptPath = bundleWorker(join(work, "bundle"), project);
		const { workerOptions, externalWorkers } = unstable_getMiniflareWorkerOptions(join(project, "wrangler.toml"));
		// The bundle is one self-contained module, so wrangler's module rules have nothing to match (and
		// Miniflare 5's v4 converter refuses them).
		const { modulesRules: _rules, ...worker } = workerOptions;
		// wrangler's declared option types lag the Miniflare 5 beta they are made for; the shapes agree.
		const kaipan = {
			...worker,
			name: "kaipan",
			rootPath: dirname(scriptPath),
			modules: true,
			scriptPath,
			...(process.env.KAIPAN_INSPECTOR_PORT ? { unsafeInspectorProxy: true } : {}),
			bindings: {
				...(worker.bindings as Record<string, string>),
				...readDevVars(join(project, ".dev.vars.example")),
				...options.vars,
			},
		} as V4WorkerOptions;
		const mf = new Miniflare(
			convertV4MiniflareOptions({
				host: "127.0.0.1",
				port: options.port ?? 0,
				...(process.env.KAIPAN_INSPECTOR_PORT ? { inspectorPort: Number(process.env.KAIPAN_INSPECTOR_PORT) } : {}),
				log: new Log(LogLevel.WARN),
				// No Request.cf lookup: this machine has no internet, and no route reads it.
				cf: false,
				logRequests: false,
				// Fresh state on disk, as `wrangler dev` keeps it: SQLite files for D1 and every object.
				resourcePersistencePath: join(work, "state"),
				workers: [kaipan, ...(externalWorkers as V4WorkerOptions[])],
			}),
		);
		const dispose = async () => {
			await mf.dispose();
			rmSync(work, { recursive: true, force: true });
		};
		try {
			const url = (await mf.ready).origin;
			await applyMigrations(mf, join(project, "migrations"));
			return { url, workerdPid: workerdChild(), dispose };
		} catch (err) {
			await dispose();
			throw err;
		}
	} catch (err) {
		// Nothing of a run that did not start stays behind in the temporary directory.
		rmSync(work, { recursive: true, force: true });
		throw err;
	}
}

/** migrations/*.sql in order, as `wrangler d1 migrations apply --local` would run them. */
async function applyMigrations(mf: Miniflare, dir: string): Promise<void> {
	const db = await mf.getD1Database("DB");
	const files = readdirSync(dir)
		.filter((f) => f.endsWith(".sql"))
		.sort();
	for (const file of files) {
		const statements = unstable_splitSqlQuery(readFileSync(join(dir, file), "utf8"))
			.map((s) => s.replaceAll("--> statement-breakpoint", "").trim())
			.filter((s) => s.length > 0);
		await db.batch(statements.map((s) => db.prepare(s)));
	}
}

/** The workerd process Miniflare spawned for us (other runs on the machine have their own). */
function workerdChild(): number | null {
	for (const entry of readdirSync("/proc")) {
		if (!/^[0-9]+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
			const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
			const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
			if (name === "workerd" && ppid === process.pid) return Number(entry);
		} catch {
			// the process ended while we looked
		}
	}
	return null;
}
