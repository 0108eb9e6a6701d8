// db/listings.ts against the local D1: bulk upserts split under D1's parameter limit, and the
// catalogue with the units active orders take.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type ListingFields, listingsOf, listingsWithTaken, upsertListings } from "../../db/listings";
import { upsertOrders } from "../../db/orders";
import { D1_MAX_BOUND_PARAMETERS } from "../../db/sql";
import { holdRecord, listingFields, recordingD1, seededEventId } from "./utils";

const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

describe("upsertListings", () => {
	it("40 listings (440 parameters) go in as statements of at most 100 parameters, every row stored", async () => {
		const eventId = await seededEventId();
		// Every other one with the optional details (issue 13), which come back null where not given.
		const details = { floorPlanUrl: "/floorplans/3br.svg", orientation: "南北" } as const;
		const listings = Array.from({ length: 40 }, (_, i) => listingFields(i + 1, i % 2 ? details : {}));
		const recorder = recordingD1();
		await upsertListings(recorder.env, eventId, listings);

		const inserts = recorder.statements.filter((s) => s.sql.startsWith("insert into"));
		expect(inserts.length).toBe(5); // 9 + 9 + 9 + 9 + 4 rows of 11 columns
		for (const s of inserts) expect(s.parameters).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
		const stored = await listingsOf(env, eventId);
		expect(stored.sort(byId)).toEqual(
			listings
				.map((l) => ({ ...l, floorPlanUrl: l.floorPlanUrl ?? null, orientation: l.orientation ?? null, eventId }))
				.sort(byId),
		);
	});

	it("a second upsert replaces the fields of known listings and adds new ones, without duplicates", async () => {
		const eventId = await seededEventId();
		await upsertListings(env, eventId, [listingFields(1), listingFields(2)]);
		await upsertListings(env, eventId, [
			listingFields(2, { priceCents: 5, stock: 4, layout: "2室" }),
			listingFields(3),
		]);
		const stored = (await listingsOf(env, eventId)).sort(byId);
		expect(stored.map((l) => l.id)).toEqual(["L1", "L2", "L3"]);
		expect(stored[1]).toMatchObject({ priceCents: 5, stock: 4, layout: "2室" });
		expect(stored[0]).toMatchObject(listingFields(1));
	});

	it("is all or nothing: a bad row in the last statement leaves none of the 40 written", async () => {
		const eventId = await seededEventId();
		const listings: ListingFields[] = Array.from({ length: 40 }, (_, i) => listingFields(i + 1));
		// NOT NULL violated in the fourth statement only, as a client bug or a corrupt import would.
		listings[39] = { ...listingFields(40), building: null } as unknown as ListingFields;
		await expect(upsertListings(env, eventId, listings)).rejects.toThrow();
		expect(await listingsOf(env, eventId)).toEqual([]);
	});

	it("an empty list is nothing to do", async () => {
		const eventId = await seededEventId();
		await upsertListings(env, eventId, []);
		expect(await listingsOf(env, eventId)).toEqual([]);
	});
});

describe("listingsWithTaken", () => {
	it("lists by building, floor, unit and counts held and confirmed orders of this event only", async () => {
		const eventId = await seededEventId();
		const other = await seededEventId();
		await upsertListings(env, eventId, [
			listingFields(1, { building: "2", floor: 1 }),
			listingFields(2, { building: "1", floor: 9, stock: 3 }),
			listingFields(3, { building: "1", floor: 2, unit: "02" }),
			listingFields(4, { building: "1", floor: 2, unit: "01" }),
		]);
		await upsertOrders(env, [
			holdRecord({ eventId, listingId: "L2", status: "held" }),
			holdRecord({ eventId, listingId: "L2", status: "confirmed" }),
			holdRecord({ eventId, listingId: "L2", status: "released" }),
			holdRecord({ eventId, listingId: "L1", status: "expired" }),
			holdRecord({ eventId: other, listingId: "L4", status: "held" }),
		]);
		const rows = await listingsWithTaken(env, eventId);
		expect(rows.map((r) => [r.id, r.taken])).toEqual([
			["L4", 0],
			["L3", 0],
			["L2", 2],
			["L1", 0],
		]);
	});
});
