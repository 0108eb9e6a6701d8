// `npm run simulate [-- options]`: the opening minute against a running Kaipan (default: the demo
// event of `npm start`). Options come as flags or environment variables; `--help` lists them. Exits
// non-zero when a guarantee of API.md fails.
import { parseArgs } from "node:util";
import { runSimulation } from "./bench/simulation.mts";

const env = process.env;
const { values: args } = parseArgs({
	options: {
		url: { type: "string", default: env.KAIPAN_URL ?? "http://127.0.0.1:8787" },
		event: { type: "string", default: env.KAIPAN_EVENT ?? "demo" },
		buyers: { type: "string", default: env.SIM_BUYERS ?? "1000" },
		"admin-token": { type: "string", default: env.ADMIN_TOKEN ?? "dev-admin-token" },
		register: { type: "boolean", default: env.SIM_REGISTER === "1" },
		open: { type: "boolean", default: env.SIM_OPEN === "1" },
		connections: { type: "string", default: env.SIM_CONNECTIONS ?? "50" },
		"wait-seconds": { type: "string", default: env.SIM_WAIT_SECONDS ?? "600" },
		"crowd-seconds": { type: "string", default: env.SIM_CROWD_SECONDS ?? "120" },
		seed: { type: "string", default: env.SIM_SEED ?? "42" },
		skew: { type: "string", default: env.SIM_SKEW ?? "1.1" },
		help: { type: "boolean", default: false },
	},
});

if (args.help) {
	console.log(`npm run simulate [-- options]            (environment variable in brackets)
  --url URL            the running server (KAIPAN_URL; http://127.0.0.1:8787)
  --event ID           the event (KAIPAN_EVENT; demo)
  --buyers N           buyers in the crowd (SIM_BUYERS; 1000)
  --admin-token T      operator token (ADMIN_TOKEN; dev-admin-token)
  --register           register sim00001… with known codes instead of reading .wrangler/demo-buyers.json (SIM_REGISTER=1)
  --open               open the event now through the operator route instead of waiting (SIM_OPEN=1)
  --connections N      connections, and requests in flight (SIM_CONNECTIONS; 50)
  --wait-seconds N     longest wait for the opening (SIM_WAIT_SECONDS; 600)
  --crowd-seconds N    longest crowd; no claim starts after it (SIM_CROWD_SECONDS; 120)
  --seed N --skew S    the crowd's random seed (42) and Zipf exponent (1.1; 0 = no favourites)`);
	process.exit(0);
}

const t0 = performance.now();
const result = await runSimulation({
	baseUrl: args.url.replace(/\/$/, ""),
	eventId: args.event,
	adminToken: args["admin-token"],
	buyers: Number(args.buyers),
	register: args.register,
	open: args.open,
	connections: Number(args.connections),
	waitSeconds: Number(args["wait-seconds"]),
	crowdSeconds: Number(args["crowd-seconds"]),
	seed: Number(args.seed),
	skew: Number(args.skew),
	log: (line) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`),
});
process.exitCode = result.verdict.ok ? 0 : 1;
