// Guarantee 6 (core routes): bad input gets API.md's error and changes nothing already granted.
// The adversarial suite for tokens and signatures lives with the edge defences.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listingInventoryOf } from "../durable-objects/addresses";
import { admin, call, claim, eventuallyOrders, json, login, orders, seedEvent, signed } from "./helpers";

describe("bad input changes nothing", async () => {
	const ev = await seedEvent({ listings: 2, buyers: 2 });
	const b1 = await login(ev.eventId, "B1");
	const granted = await (await claim(b1, "L1")).json<{ holdId: string }>();
	await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(1));

	const cases: [string, () => Promise<Response>, number, string][] = [
		["malformed JSON", () => claim(b1, "L2", undefined, { rawBody: "{listingId:" }), 400, "invalid_request"],
		["missing listingId", () => claim(b1, "L2", {}), 400, "invalid_request"],
		["unknown field", () => claim(b1, "L2", { listingId: "L2", extra: 1 }), 400, "invalid_request"],
		["listingId of the wrong shape", () => claim(b1, "L2", { listingId: "../L2" }), 400, "invalid_request"],
		["unknown listing", () => claim(b1, "L2", { listingId: "L99" }), 404, "not_found"],
		["oversize body", () => claim(b1, "L2", { listingId: "L2", pad: "x".repeat(17 * 1024) }), 413, "body_too_large"],
		[
			"another event's claims with this session",
			() => signed(b1, "POST", "/api/events/other/claims", { listingId: "L2" }),
			403,
			"forbidden",
		],
		["no session", () => json("POST", `/api/events/${ev.eventId}/claims`, { listingId: "L2" }), 401, "unauthenticated"],
		["unknown route", () => call("/api/nothing-here"), 404, "not_found"],
		["invalid event id", () => call("/api/events/bad%20id"), 400, "invalid_request"],
		["unknown event", () => call("/api/events/nope"), 404, "not_found"],
		[
			"bad status value",
			() => admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "sideways" }),
			400,
			"invalid_request",
		],
		[
			"more than 5,000 listings",
			() =>
				admin("PUT", `/api/admin/events/${ev.eventId}/listings`, {
					listings: Array.from({ length: 5_001 }, (_, i) => ({
						id: `x${i}`,
						building: "1",
						floor: 1,
						unit: "1",
						layout: "x",
						areaM2: 1,
						priceCents: 1,
					})),
				}),
			400,
			"invalid_request",
		],
		["confirming an unknown hold", () => admin("POST", "/api/admin/holds/nope/confirm"), 404, "not_found"],
	];

	it.each(cases)("%s → %d %s, state unchanged", async (_name, send, status, code) => {
		const res = await send();
		expect(res.status).toBe(status);
		expect(res.headers.get("content-type")).toContain("application/json");
		const body = await res.json<{ error: { code: string; message: string } }>();
		expect(body.error.code).toBe(code);
		expect(body.error.message).toBeTruthy();
		expect(JSON.stringify(body)).not.toMatch(/at .*\.ts|Error:/);

		const l1 = await listingInventoryOf(env, ev.eventId, "L1").snapshot();
		expect(l1.holds.map((h) => [h.holdId, h.status])).toEqual([[granted.holdId, "held"]]);
		const l2 = await listingInventoryOf(env, ev.eventId, "L2").snapshot();
		expect(l2.holds).toEqual([]);
		expect((await orders(ev.eventId)).map((o) => o.holdId)).toEqual([granted.holdId]);
	});
});
