// Starts the real dev server (`wrangler dev`) for the browser tests and the screenshot script, on a
// free port and with its own throw-away state directory, so it never touches the developer's local
// data. Secrets come from .dev.vars.example (the documented local defaults), not from .dev.vars.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

// Wrangler runs on the Node that runs this file (the project's pinned Node 24), not on whatever
// `node` the PATH finds first.
const WRANGLER = [join("node_modules", "wrangler", "bin", "wrangler.js")];
const ENV = {
	...process.env,
	WRANGLER_SEND_METRICS: "false",
	CI: "true",
	PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
};

export function devVars() {
	return Object.fromEntries(
		readFileSync(".dev.vars.example", "utf8")
			.split("\n")
			.filter((l) => /^[A-Z_]+=/.test(l))
			.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
	);
}

export function buildWeb() {
	const build = spawnSync(process.execPath, ["scripts/build-web.mjs"], { env: ENV, stdio: "inherit" });
	if (build.status !== 0) throw new Error("building web/ failed");
}

function freePort() {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
		});
	});
}

/** Resolves once the server answers; `stop()` ends wrangler and every process it started. */
export async function startDevServer({ log = false } = {}) {
	const persistTo = mkdtempSync(join(tmpdir(), "kaipan-e2e-"));
	const migrate = spawnSync(
		process.execPath,
		[...WRANGLER, "d1", "migrations", "apply", "kaipan", "--local", "--persist-to", persistTo],
		{
			env: ENV,
			encoding: "utf8",
		},
	);
	if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
	const port = await freePort();
	const child = spawn(
		process.execPath,
		[
			...WRANGLER,
			"dev",
			"--port",
			String(port),
			"--ip",
			"127.0.0.1",
			"--persist-to",
			persistTo,
			"--env-file",
			".dev.vars.example",
			"--show-interactive-dev-session=false",
			"--inspector-port",
			String(await freePort()),
		],
		// Its own process group, so that stop() reaches workerd too.
		{ env: ENV, detached: true, stdio: ["ignore", log ? "inherit" : "ignore", log ? "inherit" : "pipe"] },
	);
	let stderr = "";
	child.stderr?.on("data", (d) => {
		stderr = (stderr + d).slice(-4000);
	});
	const baseUrl = `http://127.0.0.1:${port}`;
	const stop = async () => {
		if (child.exitCode === null && child.pid) {
			const exited = new Promise((resolve) => child.once("exit", resolve));
			try {
				process.kill(-child.pid, "SIGTERM");
			} catch {
				// already gone
			}
			await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
			if (child.exitCode === null) {
				try {
					process.kill(-child.pid, "SIGKILL");
				} catch {
					// already gone
				}
			}
		}
		rmSync(persistTo, { recursive: true, force: true });
	};
	for (let i = 0; i < 240; i++) {
		if (child.exitCode !== null) break;
		try {
			const res = await fetch(`${baseUrl}/api/events/none`);
			if (res.status === 404) return { baseUrl, stop, adminToken: devVars().ADMIN_TOKEN };
		} catch {
			// not up yet
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	await stop();
	throw new Error(`wrangler dev did not come up:\n${stderr}`);
}
