// The opening minute against a running server (`npm run simulate`, and its CI smoke): buyers log in,
// wait for the opening, fetch purchase tokens and send signed claims as a crowd (crowd.mts), then the
// run is summarised and every guarantee is checked in D1 (guarantees.mts).
import { existsSync, readFileSync } from "node:fs";
import type { PublicEvent } from "../../client/kaipan-client.ts";
import { adminRequest } from "../demo-data.mjs";
import { type BuyerCredentials, loginBuyers, numberedBuyers, registerBuyers } from "./buyers.mts";
import { bestFirst, runCrowd } from "./crowd.mts";
import { D1Watcher, type Verdict, verifyGuarantees } from "./guarantees.mts";
import { sleep, Tally } from "./load.mts";

export interface SimulationOptions {
	baseUrl: string;
	eventId: string;
	adminToken: string;
	/** How many buyers take part (at most those known, unless registering). */
	buyers: number;
	/** Register `sim…` buyers with known codes instead of reading .wrangler/demo-buyers.json. */
	register: boolean;
	/** Open the event through the operator route instead of waiting for its start time. */
	open: boolean;
	connections: number;
	/** Longest wait for the opening, in seconds. */
	waitSeconds: number;
	/** Longest crowd, in seconds: no claim starts after it. */
	crowdSeconds: number;
	seed: number;
	skew: number;
	log: (line: string) => void;
}

export interface SimulationResult {
	verdict: Verdict;
	claims: Tally;
	all: Tally;
}

const DEMO_BUYERS_FILE = ".wrangler/demo-buyers.json";

export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
	const publicEvent = async () => {
		const res = await fetch(`${o.baseUrl}/api/events/${o.eventId}`);
		if (res.status === 404) throw new Error(`no event ${o.eventId} at ${o.baseUrl} (npm start seeds "demo")`);
		return (await res.json()) as { event: PublicEvent; serverTime: string };
	};
	const { event } = await publicEvent();
	o.log(`event ${event.id} "${event.name}": ${event.status}, opens ${event.startsAt}, limit ${event.perBuyerLimit}`);

	const credentials = await buyerCredentials(o);
	const login = new Tally();
	const claims = new Tally();
	const tokens = new Tally();
	const other = new Tally();
	let phase: "login" | "crowd" = "login";
	const tallyFor = (path: string) =>
		phase === "login" ? login : path.endsWith("/claims") ? claims : path.endsWith("/purchase-token") ? tokens : other;
	const t0 = performance.now();
	const pool = await loginBuyers({
		baseUrl: o.baseUrl,
		eventId: o.eventId,
		credentials,
		connections: o.connections,
		tallyFor,
	});
	try {
		o.log(`${pool.buyers.length} buyers logged in (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
		await waitForOpening(o, publicEvent);
		const { listings } = (await (await fetch(`${o.baseUrl}/api/events/${o.eventId}/listings`)).json()) as {
			listings: { id: string; available: number; stock: number; priceCents: number }[];
		};
		const left = listings.reduce((n, l) => n + l.available, 0);
		o.log(`open: ${left} of ${listings.length} units available; ${o.baseUrl}/dashboard shows it live`);

		phase = "crowd";
		const watcher = new D1Watcher(o.baseUrl, o.adminToken, o.eventId);
		const start = performance.now();
		const progress = setInterval(() => {
			o.log(`  ${claims.count} claims so far: ${claims.outcomeText()}`);
		}, 2_000);
		const result = await runCrowd({
			eventId: o.eventId,
			buyers: pool.buyers,
			listings: bestFirst(listings),
			seed: o.seed,
			skew: o.skew,
			deadline: start + o.crowdSeconds * 1000,
			concurrency: o.connections,
		}).finally(() => clearInterval(progress));
		const seconds = (performance.now() - start) / 1000;
		const all = new Tally().merge(claims, tokens, other);
		o.log(`crowd done in ${seconds.toFixed(1)} s: ${[...result.outcomes].map(([k, n]) => `${n} ${k}`).join(", ")}`);
		o.log(`  ${result.retries} claims retried after 429/503`);
		for (const [name, t] of [
			["all requests", all],
			["claims", claims],
			["purchase tokens", tokens],
			["listing board", other],
		] as const) {
			const s = t.summary();
			o.log(
				`  ${name}: ${t.count} (${(t.count / seconds).toFixed(0)}/s), p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms — ${t.outcomeText()}`,
			);
		}
		const verdict = await verifyGuarantees({
			baseUrl: o.baseUrl,
			adminToken: o.adminToken,
			eventId: o.eventId,
			grants: result.grants,
			lastGrantAt: result.lastGrantAt,
			demandExceedsSupply: pool.buyers.length * event.perBuyerLimit > left,
			watcher,
		});
		o.log(`guarantees: ${verdict.ok ? "every one holds" : "FAILED"}`);
		for (const c of verdict.checks) o.log(`  ${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`);
		return { verdict, claims, all };
	} finally {
		await pool.close();
	}
}

/** Known buyers: the demo's (written by npm start), or freshly (re-)registered `sim…` buyers. */
async function buyerCredentials(o: SimulationOptions): Promise<BuyerCredentials[]> {
	if (!o.register && o.eventId === "demo" && existsSync(DEMO_BUYERS_FILE)) {
		const known = JSON.parse(readFileSync(DEMO_BUYERS_FILE, "utf8")) as BuyerCredentials[];
		o.log(`${Math.min(o.buyers, known.length)} of the ${known.length} demo buyers from ${DEMO_BUYERS_FILE}`);
		return known.slice(0, o.buyers);
	}
	const credentials = numberedBuyers("sim", o.buyers);
	await registerBuyers(o.baseUrl, o.adminToken, o.eventId, credentials);
	o.log(`registered ${credentials.length} buyers sim00001… with known access codes`);
	return credentials;
}

/** Polls the public event until it is open (or opens it with --open); bounded by waitSeconds. */
async function waitForOpening(
	o: SimulationOptions,
	publicEvent: () => Promise<{ event: PublicEvent; serverTime: string }>,
): Promise<void> {
	const giveUpAt = performance.now() + o.waitSeconds * 1000;
	let announced = false;
	while (performance.now() < giveUpAt) {
		const { event, serverTime } = await publicEvent();
		if (event.status === "open") return;
		if (o.open) {
			await adminRequest(o.baseUrl, o.adminToken, "POST", `/api/admin/events/${o.eventId}/status`, { status: "open" });
			o.log("opened the event through the operator route (--open)");
			continue;
		}
		if (event.status !== "scheduled") throw new Error(`the event is ${event.status}; --open would open it`);
		const inMs = Date.parse(event.startsAt) - Date.parse(serverTime);
		if (!announced) {
			o.log(`waiting ${(inMs / 1000).toFixed(0)} s for the opening (server clock; --open opens it now)`);
			announced = true;
		}
		// Wake just after the opening by the server's clock; re-check at least every 5 s.
		await sleep(Math.max(50, Math.min(5_000, inMs + 50)));
	}
	throw new Error(`the event did not open within ${o.waitSeconds} s`);
}
