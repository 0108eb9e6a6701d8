// What a client sees when D1 is out of reach or a caller floods the staff-token lookup that reads it:
// an API error it can act on (503 degraded or 429, each with Retry-After), never a 500 or D1's own
// message, and the made-up tokens stop costing D1 reads once an address has used up its failures.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../worker/app";
import { newStaffToken } from "../worker/tokens/staff-token";
import { d1Outage } from "./d1-fault";
import { seedEvent, uniqueId } from "./helpers";

/** The worker with a D1 binding that counts the statements it is asked to prepare. */
function countingD1(): { binding: D1Database; prepared: () => number } {
	let prepared = 0;
	const binding = new Proxy(env.DB, {
		get(target, prop) {
			const value = Reflect.get(target, prop, target) as unknown;
			if (typeof value !== "function") return value;
			const fn = (value as (...a: unknown[]) => unknown).bind(target);
			if (prop !== "prepare") return fn;
			return (...a: unknown[]) => {
				prepared += 1;
				return fn(...a);
			};
		},
	});
	return { binding, prepared: () => prepared };
}

async function ask(path: string, headers: Record<string, string>, db: D1Database): Promise<Response> {
	const ctx = createExecutionContext();
	const res = await app.fetch(new Request(`https://kaipan.test${path}`, { headers }), { ...env, DB: db }, ctx);
	await waitOnExecutionContext(ctx);
	return res;
}

describe("D1 out of reach on an admin read", () => {
	it.each([
		["the event", (id: string) => `/api/admin/events/${id}`],
		["its orders", (id: string) => `/api/admin/events/${id}/orders`],
	])("%s: 503 degraded with Retry-After, no D1 message", async (_what, path) => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const headers = { authorization: `Bearer ${env.ADMIN_TOKEN}`, "cf-connecting-ip": "2001:db8::d1" };
		const res = await ask(path(ev.eventId), headers, d1Outage().binding);
		const body = await res.text();
		expect(res.status, body).toBe(503);
		expect(res.headers.get("retry-after")).toBe("5");
		expect(JSON.parse(body)).toMatchObject({ error: { code: "degraded" } });
		expect(body).not.toContain("D1_ERROR");
		// And with D1 back, the same read answers.
		expect((await ask(path(ev.eventId), headers, env.DB)).status).toBe(200);
	});
});

describe("made-up staff tokens", () => {
	it("cost a D1 read each until the address's failures are used up, then 429 without a read", async () => {
		const address = `2001:db8::${uniqueId("f").slice(-4)}`;
		const d1 = countingD1();
		const made = () => ({ authorization: `Bearer ${newStaffToken()}`, "cf-connecting-ip": address });
		for (let i = 0; i < 20; i++) {
			expect((await ask("/api/admin/whoami", made(), d1.binding)).status).toBe(401);
		}
		const readsBefore = d1.prepared();
		expect(readsBefore).toBeGreaterThanOrEqual(20);
		const refused = await ask("/api/admin/whoami", made(), d1.binding);
		expect(refused.status).toBe(429);
		expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
		expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
		expect(d1.prepared()).toBe(readsBefore);
		// Another address is not affected, and ADMIN_TOKEN (no lookup) still works from this one.
		const other = { ...made(), "cf-connecting-ip": `${address}1` };
		expect((await ask("/api/admin/whoami", other, d1.binding)).status).toBe(401);
		const operator = { authorization: `Bearer ${env.ADMIN_TOKEN}`, "cf-connecting-ip": address };
		expect((await ask("/api/admin/whoami", operator, d1.binding)).status).toBe(200);
	});
});
