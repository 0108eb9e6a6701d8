// db/events.ts against the local D1: the event row's write rules and the operator page's counts.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { upsertBuyers } from "../../db/buyers";
import { eventCounts, eventsToReconcile, findEvent, setEventStatus, upsertEvent } from "../../db/events";
import { upsertListings } from "../../db/listings";
import { upsertOrders } from "../../db/orders";
import { buyerRow, eventFields, holdRecord, listingFields, seededEventId, uniqueId } from "./utils";

describe("findEvent / upsertEvent", () => {
	it("an unknown event is null", async () => {
		expect(await findEvent(env, uniqueId("none"))).toBeNull();
	});

	it("creates the event, then an edit replaces its fields and keeps when it was created", async () => {
		const eventId = uniqueId("ev");
		await upsertEvent(env, eventId, eventFields({ name: "First" }), "2030-01-01T00:00:00.000Z");
		await upsertEvent(env, eventId, eventFields({ name: "Second", perBuyerLimit: 2 }), "2030-01-02T00:00:00.000Z");
		const event = await findEvent(env, eventId);
		expect(event).toMatchObject({
			id: eventId,
			name: "Second",
			perBuyerLimit: 2,
			statusMode: "auto",
			openedAt: null,
			createdAt: "2030-01-01T00:00:00.000Z",
			updatedAt: "2030-01-02T00:00:00.000Z",
		});
	});
});

describe("setEventStatus", () => {
	it("the first open stamps openedAt; later opens, pauses and closes never move or clear it", async () => {
		const eventId = await seededEventId();
		await setEventStatus(env, eventId, "paused", "2030-01-01T00:00:00.000Z");
		expect(await findEvent(env, eventId)).toMatchObject({ statusMode: "paused", openedAt: null });
		await setEventStatus(env, eventId, "open", "2030-01-02T00:00:00.000Z");
		await setEventStatus(env, eventId, "closed", "2030-01-03T00:00:00.000Z");
		await setEventStatus(env, eventId, "open", "2030-01-04T00:00:00.000Z");
		expect(await findEvent(env, eventId)).toMatchObject({
			statusMode: "open",
			openedAt: "2030-01-02T00:00:00.000Z",
			updatedAt: "2030-01-04T00:00:00.000Z",
		});
	});

	it("changes only the named event", async () => {
		const [a, b] = [await seededEventId(), await seededEventId()];
		await setEventStatus(env, a, "closed", new Date().toISOString());
		expect((await findEvent(env, b))?.statusMode).toBe("auto");
	});
});

describe("eventCounts", () => {
	it("an event with nothing in it counts zero everywhere", async () => {
		const eventId = await seededEventId();
		expect(await eventCounts(env, eventId)).toEqual({ listings: 0, stock: 0, held: 0, confirmed: 0, buyers: 0 });
	});

	it("counts listings, their stock, held and confirmed orders (not ended ones) and buyers of this event only", async () => {
		const eventId = await seededEventId();
		const other = await seededEventId();
		await upsertListings(env, eventId, [listingFields(1, { stock: 3 }), listingFields(2, { stock: 2 })]);
		await upsertListings(env, other, [listingFields(1, { stock: 50 })]);
		await upsertBuyers(env, [buyerRow(eventId, 1), buyerRow(eventId, 2), buyerRow(eventId, 3), buyerRow(other, 1)]);
		await upsertOrders(env, [
			holdRecord({ eventId, status: "held" }),
			holdRecord({ eventId, status: "held" }),
			holdRecord({ eventId, status: "confirmed" }),
			holdRecord({ eventId, status: "released" }),
			holdRecord({ eventId, status: "expired" }),
			holdRecord({ eventId: other, status: "held" }),
		]);
		expect(await eventCounts(env, eventId)).toEqual({ listings: 2, stock: 5, held: 2, confirmed: 1, buyers: 3 });
	});
});

describe("eventsToReconcile", () => {
	it("lists events that opened (or started) and ended less than the window ago, by id, at most `limit`", async () => {
		// Far-future times keep every other test's events out of this window.
		const at = (h: number) => new Date(Date.UTC(2090, 0, 1) + h * 3_600_000).toISOString();
		const now = at(0);
		const since = at(-24);
		const started = await seededEventId({ startsAt: at(-2), endsAt: at(2) });
		const endedRecently = await seededEventId({ startsAt: at(-10), endsAt: at(-1) });
		const endedLongAgo = await seededEventId({ startsAt: at(-50), endsAt: at(-30) });
		const notYet = await seededEventId({ startsAt: at(1), endsAt: at(3) });
		const openedEarly = await seededEventId({ startsAt: at(1), endsAt: at(3) });
		await setEventStatus(env, openedEarly, "open", at(-1));
		const ids = (await eventsToReconcile(env, now, since, 1_000)).map((e) => e.id);
		const mine = [started, endedRecently, endedLongAgo, notYet, openedEarly];
		expect(ids.filter((id) => mine.includes(id))).toEqual([started, endedRecently, openedEarly].sort());
		expect(await eventsToReconcile(env, now, since, 1)).toHaveLength(1);
	});
});
