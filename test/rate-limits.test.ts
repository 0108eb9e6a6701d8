// Layered rate limits: 429 rate_limited with Retry-After arrives for floods, and honest traffic —
// including a crowd of buyers behind one carrier-grade NAT address — never sees one.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { newNonce } from "../client/signing";
import { buyerQuotaOf } from "../durable-objects/addresses";
import type { AppEnv } from "../worker/http/app-env";
import { handleError } from "../worker/http/errors";
import { clientAddress, isolateRateLimit } from "../worker/middleware/rate-limit";
import { bearer, call, claim, json, type Login, login, seedEvent, sessionIdOf } from "./helpers";

describe("rate limits", () => {
	it("a buyer hammering the API gets 429 with Retry-After, and is served again after waiting", async () => {
		const ev = await seedEvent({ buyers: 1 });
		const s = await login(ev.eventId, "B1");
		const burst = Number(env.BUYER_BURST);
		const results = await Promise.all(
			Array.from({ length: burst + 10 }, () => call("/api/me/holds", { headers: bearer(s) })),
		);
		const limited = results.filter((r) => r.status === 429);
		expect(limited.length).toBeGreaterThanOrEqual(9);
		for (const r of limited) {
			expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
			expect(await r.json()).toMatchObject({ error: { code: "rate_limited" } });
		}
		await new Promise((r) => setTimeout(r, 1_100));
		expect((await call("/api/me/holds", { headers: bearer(s) })).status).toBe(200);
	});

	it("the per-address bucket cuts a flooding address off and lets it back after Retry-After", async () => {
		// The production bucket (2,000 at once) needs more requests per second than a test machine
		// can be relied on to send, so the same middleware is exercised with a small bucket.
		const app = new Hono<AppEnv>()
			.use(isolateRateLimit({ name: "address", key: clientAddress, limits: () => ({ burst: 5, ratePerSecond: 2 }) }))
			.get("/", (c) => c.text("ok"))
			.onError(handleError);
		const flood = { "cf-connecting-ip": "2001:db8::f100d" };
		const results = await Promise.all(Array.from({ length: 12 }, () => app.request("/", { headers: flood }, env)));
		expect(results.filter((r) => r.status === 200)).toHaveLength(5);
		const limited = results.filter((r) => r.status === 429);
		expect(limited).toHaveLength(7);
		expect(await limited[0]?.json()).toMatchObject({ error: { code: "rate_limited" } });
		expect(Number(limited[0]?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
		// Another address is not affected.
		expect((await app.request("/", { headers: { "cf-connecting-ip": "2001:db8::beef" } }, env)).status).toBe(200);
		await new Promise((r) => setTimeout(r, 600));
		expect((await app.request("/", { headers: flood }, env)).status).toBe(200);
	});

	it("the buyer object caps claims per 10 s across every isolate", async () => {
		const perWindow = Number(env.BUYER_CLAIMS_PER_10S);
		const ev = await seedEvent({ buyers: 1, listings: perWindow + 1, perBuyerLimit: 100 });
		const s = await login(ev.eventId, "B1");
		const buyer = buyerQuotaOf(env, ev.eventId, "B1");
		const outcomes = [];
		for (let i = 0; i < perWindow + 1; i++) {
			const attempt = { sessionId: sessionIdOf(s), nonce: newNonce(), claimsPer10s: perWindow };
			outcomes.push(await buyer.claim(attempt, `L${i + 1}`, { leaseMs: 60_000 }));
		}
		expect(outcomes.slice(0, perWindow).every((o) => o.kind === "held")).toBe(true);
		expect(outcomes[perWindow]).toMatchObject({ kind: "rate_limited" });
	});

	it("200 honest buyers behind one NAT address log in, fetch tokens and claim without a single 429", async () => {
		const ev = await seedEvent({ listings: 50, buyers: 200 });
		const nat = { "cf-connecting-ip": "2001:db8::ca7" };
		const sessions = await Promise.all(
			ev.buyerIds.map(async (b) => {
				const res = await json(
					"POST",
					"/api/auth/login",
					{ eventId: ev.eventId, buyerId: b, accessCode: `access${b}` },
					nat,
				);
				expect(res.status).toBe(200);
				return res.json<Login>();
			}),
		);
		const statuses = await Promise.all(
			sessions.map(async (s, i) => {
				const first = await claim(s, `L${(i % 50) + 1}`, undefined, { headers: nat });
				const second = await claim(s, `L${((i * 7) % 50) + 1}`, undefined, { headers: nat });
				return [first.status, second.status];
			}),
		);
		expect(statuses.flat().filter((st) => st === 429)).toEqual([]);
		expect(statuses.flat().filter((st) => st === 201)).toHaveLength(50);
	});
});
