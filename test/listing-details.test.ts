// Issue 13's API extensions for the buyer page, through the real worker: listings carry an optional
// floor plan and orientation (validated; bad input changes nothing), the public read shows them only
// when set, a confirmed hold says when it was confirmed, and the login answers the buyer's name.
import { describe, expect, it } from "vitest";
import { admin, call, claim, errorCode, login, seedEvent } from "./helpers";

interface PublicListing {
	id: string;
	floorPlanUrl?: string;
	orientation?: string;
}

async function publicListings(eventId: string): Promise<Map<string, PublicListing>> {
	const res = await call(`/api/events/${eventId}/listings`);
	expect(res.status).toBe(200);
	const { listings } = await res.json<{ listings: PublicListing[] }>();
	return new Map(listings.map((l) => [l.id, l]));
}

const base = { building: "1号楼", floor: 3, unit: "01", layout: "3室2厅", areaM2: 98.5, priceCents: 300_000_000 };

describe("listing details (floorPlanUrl, orientation)", () => {
	it("are stored, read publicly only when set, and cleared by an upsert without them", async () => {
		const { eventId } = await seedEvent({ open: false });
		const put = await admin("PUT", `/api/admin/events/${eventId}/listings`, {
			listings: [
				{ id: "L1", ...base, floorPlanUrl: "/floorplans/3br.svg", orientation: "南北" },
				{ id: "L2", ...base, floorPlanUrl: "https://cdn.example.com/p/2.png", orientation: "东南" },
				{ id: "L3", ...base },
			],
		});
		expect(put.status).toBe(200);
		let listings = await publicListings(eventId);
		expect(listings.get("L1")).toMatchObject({ floorPlanUrl: "/floorplans/3br.svg", orientation: "南北" });
		expect(listings.get("L2")).toMatchObject({ floorPlanUrl: "https://cdn.example.com/p/2.png", orientation: "东南" });
		expect(listings.get("L3")).not.toHaveProperty("floorPlanUrl");
		expect(listings.get("L3")).not.toHaveProperty("orientation");
		// Replaced without them (or with null): gone.
		await admin("PUT", `/api/admin/events/${eventId}/listings`, {
			listings: [
				{ id: "L1", ...base },
				{ id: "L2", ...base, floorPlanUrl: null, orientation: null },
			],
		});
		await new Promise((r) => setTimeout(r, 600)); // the public read's own cache (500 ms)
		listings = await publicListings(eventId);
		expect(listings.get("L1")).not.toHaveProperty("floorPlanUrl");
		expect(listings.get("L2")).not.toHaveProperty("orientation");
	});

	it("a bad floor plan URL or orientation is a 400 naming the field, and changes nothing", async () => {
		const { eventId } = await seedEvent({ open: false });
		await admin("PUT", `/api/admin/events/${eventId}/listings`, {
			listings: [{ id: "L1", ...base, floorPlanUrl: "/floorplans/2br.svg", orientation: "南" }],
		});
		for (const bad of [
			{ floorPlanUrl: "javascript:alert(1)" },
			{ floorPlanUrl: "http://example.com/a.svg" },
			{ floorPlanUrl: "//evil.example/a.svg" },
			{ floorPlanUrl: "/floorplans/../x" },
			{ floorPlanUrl: `/${"a".repeat(600)}` },
			{ floorPlanUrl: 7 },
			{ orientation: "朝南" },
			{ orientation: "" },
		]) {
			const res = await admin("PUT", `/api/admin/events/${eventId}/listings`, {
				listings: [{ id: "L1", ...base, floor: 9, ...bad }],
			});
			expect(res.status, JSON.stringify(bad)).toBe(400);
			const body = await res.json<{ error: { code: string; message: string } }>();
			expect(body.error.code).toBe("invalid_request");
			expect(body.error.message).toContain(Object.keys(bad)[0]);
		}
		await new Promise((r) => setTimeout(r, 600));
		expect((await publicListings(eventId)).get("L1")).toMatchObject({
			floor: 3,
			floorPlanUrl: "/floorplans/2br.svg",
			orientation: "南",
		});
	});
});

describe("the 认购确认书's facts", () => {
	it("a confirmed hold says when it was confirmed; a held one does not", async () => {
		const { eventId } = await seedEvent();
		const session = await login(eventId, "B1");
		const claimed = await claim(session, "L1");
		expect(claimed.status).toBe(201);
		const { holdId } = await claimed.json<{ holdId: string }>();
		const mine = () =>
			call("/api/me/holds", { headers: { authorization: `Bearer ${session.sessionToken}` } }).then((r) =>
				r.json<{ holds: { holdId: string; status: string; confirmedAt?: string }[] }>(),
			);
		expect((await mine()).holds[0]).not.toHaveProperty("confirmedAt");
		const confirmed = await admin("POST", `/api/admin/holds/${holdId}/confirm`);
		expect(confirmed.status).toBe(200);
		const { hold } = await confirmed.json<{ hold: { updatedAt: string } }>();
		// The buyer object hears of it from the inventory (at once, or through the outbox).
		await expect
			.poll(async () => (await mine()).holds.find((h) => h.holdId === holdId), { timeout: 5_000 })
			.toMatchObject({ status: "confirmed", confirmedAt: hold.updatedAt });
	});

	it("the login answers the buyer's registered name, or null", async () => {
		const { eventId } = await seedEvent({ open: false });
		await admin("PUT", `/api/admin/events/${eventId}/buyers`, { buyers: [{ id: "B1", name: "张三" }] });
		expect((await login(eventId, "B1")) as unknown).toMatchObject({ buyerId: "B1", name: "张三" });
		expect((await login(eventId, "B2")) as unknown).toMatchObject({ buyerId: "B2", name: null });
		// A wrong code still says nothing about the buyer.
		const res = await call("/api/auth/login", {
			method: "POST",
			headers: { "content-type": "application/json", "cf-connecting-ip": "2001:db8::77" },
			body: JSON.stringify({ eventId, buyerId: "B1", accessCode: "wrong-code" }),
		});
		expect(await errorCode(res)).toBe("bad_credentials");
	});
});
