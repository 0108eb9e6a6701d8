// `npm run test:simulate`: a short run of the simulator for CI. Starts the real bundle in Miniflare
// (runtime.mts), seeds the demo opening of `npm start` (160 units), lets a crowd of 400 buyers in
// (more than twice the units, so it must sell out) and fails when any guarantee fails. About 15 s.
import { seedDemo } from "../demo-data.mjs";
import { startRuntime } from "./runtime.mts";
import { runSimulation } from "./simulation.mts";

const ADMIN_TOKEN = "dev-admin-token";
const t0 = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`);

const runtime = await startRuntime();
let ok = false;
try {
	const demo = await seedDemo({ baseUrl: runtime.url, token: ADMIN_TOKEN, opensInSeconds: 3_600 });
	log(`demo seeded at ${runtime.url}: ${demo.listings} units, ${demo.buyers.length} buyers`);
	const result = await runSimulation({
		baseUrl: runtime.url,
		eventId: demo.eventId,
		adminToken: ADMIN_TOKEN,
		buyers: 400,
		register: true,
		open: true,
		connections: 50,
		waitSeconds: 30,
		crowdSeconds: 60,
		seed: 7,
		skew: 1.1,
		log,
	});
	ok = result.verdict.ok && result.claims.count > 0;
} finally {
	await runtime.dispose();
}
console.log(ok ? "1 passed, 0 failed" : "0 passed, 1 failed");
process.exitCode = ok ? 0 : 1;
