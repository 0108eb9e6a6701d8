// db/terms.ts and the guarded admin writes against the local D1: the first claim freezes the event's
// terms in the same transaction that reads them, and from then on every write of listings, buyers or
// the frozen event fields is refused in the statement that would have made it — so a freeze and an
// edit, in whichever order they reach D1, never leave D1 and the objects disagreeing (finding d).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { upsertBuyers } from "../../db/buyers";
import { findEvent, upsertEvent } from "../../db/events";
import { listingsOf, upsertListings } from "../../db/listings";
import { freezeBuyerRules, freezeListingTerms } from "../../db/terms";
import { buyerRow, eventFields, listingFields, seededEventId, uniqueId } from "./utils";

async function seededCatalogue(): Promise<string> {
	const eventId = await seededEventId({ holdSeconds: 600, perBuyerLimit: 2 });
	expect(await upsertListings(env, eventId, [listingFields(1, { stock: 3, priceCents: 42 })])).toEqual({
		kind: "written",
	});
	return eventId;
}

describe("freezeListingTerms / freezeBuyerRules", () => {
	it("read the listing's terms and the event's rules, and stamp the freeze once", async () => {
		const eventId = await seededCatalogue();
		expect(await freezeListingTerms(env, eventId, "L1", "2030-01-01T00:00:00.000Z")).toEqual({
			eventId,
			listingId: "L1",
			stock: 3,
			priceCents: 42,
			holdSeconds: 600,
		});
		expect(await freezeBuyerRules(env, eventId, "2030-01-02T00:00:00.000Z")).toEqual({ perBuyerLimit: 2 });
		expect((await findEvent(env, eventId))?.termsFrozenAt).toBe("2030-01-01T00:00:00.000Z");
	});

	it("an unknown listing or event is null", async () => {
		const eventId = await seededCatalogue();
		expect(await freezeListingTerms(env, eventId, "L404", new Date().toISOString())).toBeNull();
		expect(await freezeListingTerms(env, uniqueId("none"), "L1", new Date().toISOString())).toBeNull();
		expect(await freezeBuyerRules(env, uniqueId("none"), new Date().toISOString())).toBeNull();
	});
});

describe("admin writes after the freeze", () => {
	it("listings: refused, nothing written (not even a new listing)", async () => {
		const eventId = await seededCatalogue();
		await freezeListingTerms(env, eventId, "L1", new Date().toISOString());
		expect(await upsertListings(env, eventId, [listingFields(1, { stock: 9 }), listingFields(2)])).toEqual({
			kind: "event_locked",
		});
		expect(await listingsOf(env, eventId)).toMatchObject([{ id: "L1", stock: 3, priceCents: 42 }]);
	});

	it("buyers: refused for the frozen event only", async () => {
		const eventId = await seededCatalogue();
		const other = await seededEventId();
		expect(await upsertBuyers(env, [buyerRow(eventId, 1)])).toEqual({ kind: "written" });
		await freezeBuyerRules(env, eventId, new Date().toISOString());
		expect(await upsertBuyers(env, [buyerRow(eventId, 1, { phone: "+8613900000000" }), buyerRow(eventId, 2)])).toEqual({
			kind: "event_locked",
		});
		expect(await upsertBuyers(env, [buyerRow(other, 1)])).toEqual({ kind: "written" });
		const rows = await env.DB.prepare("SELECT id, phone FROM buyers WHERE event_id = ?").bind(eventId).all();
		expect(rows.results).toEqual([{ id: "B1", phone: buyerRow(eventId, 1).phone }]);
	});

	it("the event: name and end may change, the frozen fields may not", async () => {
		const eventId = await seededCatalogue();
		await freezeBuyerRules(env, eventId, new Date().toISOString());
		const fields = { ...eventFields(), ...(await findEvent(env, eventId)) };
		const { name: _, ...frozen } = fields;
		const now = new Date().toISOString();
		const endsAt = new Date(Date.parse(fields.endsAt) + 60_000).toISOString();
		expect(await upsertEvent(env, eventId, { ...fields, name: "Renamed", endsAt }, now)).toEqual({ kind: "written" });
		for (const change of [
			{ holdSeconds: 1_200 },
			{ perBuyerLimit: 5 },
			{ currency: "HKD" },
			{ startsAt: new Date(Date.parse(fields.startsAt) + 3_600_000).toISOString() },
		]) {
			expect(await upsertEvent(env, eventId, { ...fields, ...change }, now)).toEqual({ kind: "event_locked" });
		}
		expect(await findEvent(env, eventId)).toMatchObject({ ...frozen, name: "Renamed", endsAt, updatedAt: now });
	});

	it("an edit racing the freeze: either the freeze read the edit, or the edit was refused", async () => {
		for (let round = 0; round < 8; round++) {
			const eventId = await seededCatalogue();
			const edit = () => upsertListings(env, eventId, [listingFields(1, { stock: 7, priceCents: 43 })]);
			const freeze = () => freezeListingTerms(env, eventId, "L1", new Date().toISOString());
			// Both orders, forced, then both at once.
			const [written, terms] =
				round === 0
					? [await edit(), await freeze()]
					: round === 1
						? await freeze().then(async (t) => [await edit(), t] as const)
						: await Promise.all([edit(), freeze()]);
			const [stored] = await listingsOf(env, eventId);
			expect(terms).toMatchObject({ stock: stored?.stock, priceCents: stored?.priceCents });
			expect(stored?.stock).toBe(written.kind === "written" ? 7 : 3);
		}
	});
});
