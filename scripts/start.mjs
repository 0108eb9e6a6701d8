#!/usr/bin/env node
// `npm start`: a fresh local Kaipan with a demo opening, on http://localhost:${PORT:-8787}.
// Everything runs inside workerd through `wrangler dev`: D1, queues and Durable Objects are local.
// Local state is wiped first so the demo always opens in the future; `npm start -- --keep` keeps it.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { seedDemo } from "./demo-data.mjs";

const port = Number(process.env.PORT ?? 8787);
const keep = process.argv.includes("--keep");
const opensIn = Number(process.env.DEMO_OPENS_IN_SECONDS ?? 120);
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const wrangler = "node_modules/.bin/wrangler";

if (!existsSync(".dev.vars")) {
	copyFileSync(".dev.vars.example", ".dev.vars");
	console.log("Created .dev.vars from .dev.vars.example (local-development defaults).");
}
const vars = Object.fromEntries(
	readFileSync(".dev.vars", "utf8")
		.split("\n")
		.filter((l) => /^[A-Z_]+=/.test(l))
		.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
);
// The demo is seeded through the operator routes: without the token that would fail only after the
// build, the migrations and the server start, with a bare 401.
const adminToken = vars.ADMIN_TOKEN;
if (!adminToken) {
	console.error(".dev.vars has no ADMIN_TOKEN (see .dev.vars.example).");
	process.exit(1);
}
if (!keep) rmSync(".wrangler/state", { recursive: true, force: true });

// The pages' scripts and styles (web/ → public/assets/) are built before the server starts.
const build = spawnSync(process.execPath, ["scripts/build-web.mjs"], { env, stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);

const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "kaipan", "--local"], { env, stdio: "inherit" });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const dev = spawn(
	wrangler,
	["dev", "--port", String(port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false"],
	{
		env,
		stdio: ["ignore", "inherit", "inherit"],
	},
);
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));

const baseUrl = `http://127.0.0.1:${port}`;
await waitForServer(baseUrl);
const demo = await seedDemo({ baseUrl, token: adminToken, opensInSeconds: opensIn });
// With --keep the buyers exist already and keep their codes (the import answers null for them): take
// the codes from the list written when they were first registered.
if (keep && existsSync(".wrangler/demo-buyers.json")) {
	/** @type {{ id: string; accessCode: string | null }[]} */
	const earlier = JSON.parse(readFileSync(".wrangler/demo-buyers.json", "utf8"));
	const codes = new Map(earlier.map((b) => [b.id, b.accessCode]));
	demo.buyers = demo.buyers.map((b) => ({ ...b, accessCode: b.accessCode ?? codes.get(b.id) ?? null }));
}
mkdirSync(".wrangler", { recursive: true });
writeFileSync(".wrangler/demo-buyers.json", JSON.stringify(demo.buyers, null, 2));
const sample = demo.buyers
	.slice(0, 5)
	.map((b) => `    ${b.id}  ${b.accessCode}`)
	.join("\n");
console.log(`
Kaipan is running at http://localhost:${port}
  demo event "${demo.eventId}": ${demo.listings} units, ${demo.buyers.length} buyers, opens ${demo.startsAt.toISOString()}
  operator token (Authorization: Bearer …): ${adminToken}
  buyer ids and access codes (all ${demo.buyers.length} in .wrangler/demo-buyers.json):
${sample}
  Ctrl-C stops it.
`);

/** @param {string} url */
async function waitForServer(url) {
	for (let i = 0; i < 240; i++) {
		try {
			const res = await fetch(`${url}/api/events/demo`);
			if (res.status === 200 || res.status === 404) return;
		} catch {
			// not up yet
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	console.error("wrangler dev did not come up within 2 minutes");
	dev.kill();
	process.exit(1);
}
