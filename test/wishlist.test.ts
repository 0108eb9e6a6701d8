// Wish lists (API.md v1.1 "Wish lists and auto-claim"): PUT and GET /api/me/wishlist through the real
// worker — shape, defaults, every bad input refused without changing the stored list, the lock at the
// buyer's entry time (race and lottery), the single-device session, the D1 copy behind the staff heat
// map (GET /api/admin/events/:eventId/wishes), and the event's autoClaimDelaySeconds field.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { upsertWishlistCopy } from "../db/wishlists";
import { buyerQuotaOf } from "../durable-objects/addresses";
import type { BuyerQuota } from "../durable-objects/buyer-quota";
import { seedHashOf } from "../lib/draw";
import {
	ADMIN,
	admin,
	bearer,
	call,
	errorCode,
	json,
	type Login,
	login,
	seedEvent,
	sessionIdOf,
	uniqueId,
} from "./helpers";

const put = (s: Login, body: unknown, headers: Record<string, string> = {}) =>
	json("PUT", "/api/me/wishlist", body, { ...bearer(s), ...headers });
const get = (s: Login) => call("/api/me/wishlist", { headers: bearer(s) });

async function readList(s: Login) {
	const res = await get(s);
	expect(res.status).toBe(200);
	return res.json<{ listingIds: string[]; autoClaim: boolean }>();
}

describe("PUT and GET /api/me/wishlist", () => {
	it("is empty until set, stores the list best first, autoClaim defaults to false, and is not cached", async () => {
		const ev = await seedEvent({ listings: 5, open: false });
		const b1 = await login(ev.eventId, "B1");
		expect(await readList(b1)).toEqual({ listingIds: [], autoClaim: false });
		const res = await put(b1, { listingIds: ["L3", "L1", "L5"] });
		expect(res.status).toBe(200);
		expect(res.headers.get("cache-control")).toContain("no-store");
		expect(await res.json()).toEqual({ listingIds: ["L3", "L1", "L5"], autoClaim: false });
		expect(await readList(b1)).toEqual({ listingIds: ["L3", "L1", "L5"], autoClaim: false });
		// A new PUT replaces the whole list (order included); an empty list is allowed.
		expect(await (await put(b1, { listingIds: ["L2"], autoClaim: true })).json()).toEqual({
			listingIds: ["L2"],
			autoClaim: true,
		});
		expect(await (await put(b1, { listingIds: [], autoClaim: false })).json()).toEqual({
			listingIds: [],
			autoClaim: false,
		});
		// Another buyer's list is its own.
		const b2 = await login(ev.eventId, "B2");
		expect(await readList(b2)).toEqual({ listingIds: [], autoClaim: false });
	});

	it("refuses bad input with API.md's error, naming the field, and keeps the stored list", async () => {
		const ev = await seedEvent({ listings: 12, open: false });
		const b1 = await login(ev.eventId, "B1");
		expect((await put(b1, { listingIds: ["L1", "L2"], autoClaim: true })).status).toBe(200);
		const eleven = Array.from({ length: 11 }, (_, i) => `L${i + 1}`);
		const cases: [string, () => Promise<Response>, number, string, string | null][] = [
			["more than 10 ids", () => put(b1, { listingIds: eleven }), 400, "invalid_request", "listingIds"],
			["a duplicate", () => put(b1, { listingIds: ["L1", "L1"] }), 400, "invalid_request", "listingIds"],
			["an unknown listing", () => put(b1, { listingIds: ["L1", "NOPE"] }), 400, "invalid_request", "listingIds"],
			["a malformed id", () => put(b1, { listingIds: ["L 1"] }), 400, "invalid_request", "listingIds.0"],
			[
				"autoClaim not a boolean",
				() => put(b1, { listingIds: [], autoClaim: "yes" }),
				400,
				"invalid_request",
				"autoClaim",
			],
			["an unknown field", () => put(b1, { listingIds: [], extra: 1 }), 400, "invalid_request", null],
			["no listingIds", () => put(b1, { autoClaim: true }), 400, "invalid_request", "listingIds"],
			[
				"text/plain",
				() =>
					call("/api/me/wishlist", {
						method: "PUT",
						headers: { ...bearer(b1), "content-type": "text/plain" },
						body: "{}",
					}),
				400,
				"invalid_request",
				"content-type",
			],
			[
				"malformed JSON",
				() =>
					call("/api/me/wishlist", {
						method: "PUT",
						headers: { ...bearer(b1), "content-type": "application/json" },
						body: "{",
					}),
				400,
				"invalid_request",
				"body",
			],
			["over 16 KiB", () => put(b1, { listingIds: [], pad: "x".repeat(17 * 1024) }), 413, "body_too_large", null],
			["no session", () => json("PUT", "/api/me/wishlist", { listingIds: [] }), 401, "unauthenticated", null],
			["a staff token", () => json("PUT", "/api/me/wishlist", { listingIds: [] }, ADMIN), 401, "unauthenticated", null],
		];
		for (const [name, send, status, code, field] of cases) {
			const res = await send();
			expect(res.status, name).toBe(status);
			const body = await res.json<{ error: { code: string; field?: string; message: string } }>();
			expect(body.error.code, name).toBe(code);
			if (field) expect(body.error.field, name).toBe(field);
		}
		const unknown = await put(b1, { listingIds: ["L1", "NOPE"] });
		expect((await unknown.json<{ error: { message: string } }>()).error.message).toContain("NOPE");
		expect(await readList(b1)).toEqual({ listingIds: ["L1", "L2"], autoClaim: true });
	});

	it("a revoked session (the buyer logged in elsewhere) can neither read nor write the list", async () => {
		const ev = await seedEvent({ open: false });
		const first = await login(ev.eventId, "B1");
		expect((await put(first, { listingIds: ["L1"] })).status).toBe(200);
		const second = await login(ev.eventId, "B1");
		for (const res of [await put(first, { listingIds: ["L2"] }), await get(first)]) {
			expect(res.status).toBe(401);
			expect(await errorCode(res)).toBe("session_revoked");
		}
		expect(await readList(second)).toEqual({ listingIds: ["L1"], autoClaim: false });
	});

	it("is locked at the buyer's entry time in a race event: the opening (409 event_locked)", async () => {
		const ev = await seedEvent({ open: false });
		const b1 = await login(ev.eventId, "B1");
		expect((await put(b1, { listingIds: ["L1"] })).status).toBe(200);
		expect((await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "open" })).status).toBe(200);
		const late = await put(b1, { listingIds: ["L2"] });
		expect(late.status).toBe(409);
		expect(await errorCode(late)).toBe("event_locked");
		expect(await readList(b1)).toEqual({ listingIds: ["L1"], autoClaim: false });
	});

	it("the buyer object checks the lock by its own clock too (an edge with a stale event copy)", async () => {
		const ev = await seedEvent({ open: false });
		const b1 = await login(ev.eventId, "B1");
		const quota = buyerQuotaOf(env, ev.eventId, "B1");
		const input = { listingIds: ["L1"], autoClaim: true, dueAt: Date.now() };
		const refused = await quota.setWishlist(sessionIdOf(b1), { ...input, lockAt: Date.now() - 1 });
		expect(refused.kind).toBe("event_locked");
		expect(await readList(b1)).toEqual({ listingIds: [], autoClaim: false });
	});

	it("in a lottery event: open before the draw, then until each buyer's own batch enters", async () => {
		const eventId = uniqueId("wl");
		const now = Date.now();
		const body = {
			name: "Lottery wishes",
			startsAt: new Date(now + 3_600_000).toISOString(),
			endsAt: new Date(now + 7_200_000).toISOString(),
			mode: "lottery",
			batchSize: 1,
			batchSeconds: 600,
		};
		expect((await admin("PUT", `/api/admin/events/${eventId}`, body)).status).toBe(200);
		await admin("PUT", `/api/admin/events/${eventId}/listings`, {
			listings: ["L1", "L2"].map((id) => ({
				id,
				building: "1",
				floor: 1,
				unit: id,
				layout: "2室",
				areaM2: 80,
				priceCents: 1,
			})),
		});
		await admin("PUT", `/api/admin/events/${eventId}/buyers`, {
			buyers: ["B1", "B2"].map((id) => ({ id, accessCode: `access${id}` })),
		});
		const sessions = await Promise.all(["B1", "B2"].map((id) => login(eventId, id)));
		for (const s of sessions) expect((await put(s, { listingIds: ["L1"] })).status).toBe(200);
		await admin("POST", `/api/admin/events/${eventId}/draw/commit`, { seedHash: await seedHashOf("wish seed") });
		const reveal = await admin("POST", `/api/admin/events/${eventId}/draw/reveal`, { seed: "wish seed" });
		const { draw } = await reveal.json<{ draw: { order: string[] } }>();
		expect((await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" })).status).toBe(200);
		const [first, second] = draw.order.map((id) => sessions.find((s) => s.buyerId === id) as Login);
		const locked = await put(first as Login, { listingIds: ["L2"] });
		expect(locked.status).toBe(409);
		expect(await errorCode(locked)).toBe("event_locked");
		// The second batch enters 600 s after the opening: its list can still change.
		expect((await put(second as Login, { listingIds: ["L2", "L1"], autoClaim: true })).status).toBe(200);
	});
});

describe("GET /api/admin/events/:eventId/wishes (the heat map)", () => {
	it("counts, for every listing, the lists naming it and those putting it first, from D1's copy", async () => {
		const ev = await seedEvent({ listings: 4, buyers: 3, open: false });
		const lists: Record<string, string[]> = { B1: ["L2", "L1"], B2: ["L2", "L3"], B3: ["L1"] };
		for (const [buyerId, listingIds] of Object.entries(lists)) {
			expect((await put(await login(ev.eventId, buyerId), { listingIds, autoClaim: buyerId === "B1" })).status).toBe(
				200,
			);
		}
		// B2 changes its mind: only its latest list counts.
		expect((await put(await login(ev.eventId, "B2"), { listingIds: ["L3"] })).status).toBe(200);
		const res = await admin("GET", `/api/admin/events/${ev.eventId}/wishes`);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			listings: [
				{ id: "L1", wishes: 2, firstChoice: 1 },
				{ id: "L2", wishes: 1, firstChoice: 1 },
				{ id: "L3", wishes: 1, firstChoice: 1 },
				{ id: "L4", wishes: 0, firstChoice: 0 },
			],
		});
		expect((await admin("GET", `/api/admin/events/${uniqueId("none")}/wishes`)).status).toBe(404);
		// Buyers do not see it.
		const b1 = await login(ev.eventId, "B1");
		expect((await call(`/api/admin/events/${ev.eventId}/wishes`, { headers: bearer(b1) })).status).toBeGreaterThan(400);
	});
});

describe("the D1 copy", () => {
	it("a copy D1 refused is written again by the buyer object's alarm; the object's list stands meanwhile", async () => {
		const ev = await seedEvent({ listings: 3, open: false });
		const b1 = await login(ev.eventId, "B1");
		const stub = buyerQuotaOf(env, ev.eventId, "B1");
		const copied = () =>
			env.DB.prepare("SELECT listing_ids, version FROM wishlists WHERE event_id = ? AND buyer_id = ?")
				.bind(ev.eventId, "B1")
				.first<{ listing_ids: string; version: number }>();
		// D1 refuses every statement of this object while the list is saved (an outage, injected).
		const failing = {
			...env.DB,
			prepare: () => {
				throw new Error("D1 is down (injected)");
			},
			batch: () => Promise.reject(new Error("D1 is down (injected)")),
		};
		const saved = await runInDurableObject(stub, async (instance: BuyerQuota) => {
			const real = Reflect.get(instance, "env") as Env;
			Reflect.set(instance, "env", { ...real, DB: failing });
			try {
				return await instance.setWishlist(sessionIdOf(b1), {
					listingIds: ["L2", "L3"],
					autoClaim: false,
					lockAt: null,
					dueAt: Date.now() + 3_600_000,
				});
			} finally {
				Reflect.set(instance, "env", real);
			}
		});
		expect(saved.kind).toBe("saved");
		expect(await readList(b1)).toEqual({ listingIds: ["L2", "L3"], autoClaim: false });
		expect(await copied()).toBeNull();
		// The object armed its alarm for the retry; when it fires, D1 has the list.
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		expect(await copied()).toEqual({ listing_ids: JSON.stringify(["L2", "L3"]), version: 1 });
		const heat = await (await admin("GET", `/api/admin/events/${ev.eventId}/wishes`)).json<{ listings: object[] }>();
		expect(heat.listings).toContainEqual({ id: "L2", wishes: 1, firstChoice: 1 });
	});

	it("an older copy never overwrites a newer one (writes arriving out of order)", async () => {
		const eventId = uniqueId("copy");
		const copy = (version: number, listingIds: string[]) =>
			upsertWishlistCopy(env, { eventId, buyerId: "B1", listingIds, autoClaim: false, version, updatedAt: "x" });
		await copy(2, ["L2"]);
		await copy(1, ["L1"]);
		const row = await env.DB.prepare("SELECT listing_ids FROM wishlists WHERE event_id = ?").bind(eventId).first();
		expect(row).toEqual({ listing_ids: JSON.stringify(["L2"]) });
		await copy(3, ["L3"]);
		const next = await env.DB.prepare("SELECT listing_ids FROM wishlists WHERE event_id = ?").bind(eventId).first();
		expect(next).toEqual({ listing_ids: JSON.stringify(["L3"]) });
	});
});

describe("event field autoClaimDelaySeconds", () => {
	it("defaults to 30, takes 0–3,600, and appears in both event reads", async () => {
		const eventId = uniqueId("wl");
		const now = Date.now();
		const body = {
			name: "Delay",
			startsAt: new Date(now + 3_600_000).toISOString(),
			endsAt: new Date(now + 7_200_000).toISOString(),
		};
		expect((await admin("PUT", `/api/admin/events/${eventId}`, body)).status).toBe(200);
		const read = async () => ({
			admin: (await (await admin("GET", `/api/admin/events/${eventId}`)).json<{ event: Record<string, unknown> }>())
				.event,
			public: (await (await call(`/api/events/${eventId}`)).json<{ event: Record<string, unknown> }>()).event,
		});
		let both = await read();
		expect(both.admin.autoClaimDelaySeconds).toBe(30);
		expect(both.public.autoClaimDelaySeconds).toBe(30);
		expect(both.public.rehearsalOf).toBeNull();
		expect((await admin("PUT", `/api/admin/events/${eventId}`, { ...body, autoClaimDelaySeconds: 0 })).status).toBe(
			200,
		);
		both = await read();
		expect(both.admin.autoClaimDelaySeconds).toBe(0);
		for (const bad of [-1, 3_601, 1.5, "30"]) {
			const res = await admin("PUT", `/api/admin/events/${eventId}`, { ...body, autoClaimDelaySeconds: bad });
			expect(res.status).toBe(400);
			expect(JSON.stringify(await res.json())).toContain("autoClaimDelaySeconds");
		}
		expect((await read()).admin.autoClaimDelaySeconds).toBe(0);
	});
});
