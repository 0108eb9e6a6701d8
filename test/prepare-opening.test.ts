// docs/SCALE.md fix 1: the opening prepared before it starts. After `POST …/prepare` the event's terms
// are frozen, every listing object exists with its terms, and the first claim of a listing reads
// nothing from D1 (counted in the object by its test hook); the stubs carry the event's region as
// their location hint; the cron prepares an event that starts within two minutes, once.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { findEvent } from "../db/events";
import { listingInventoryOf, placementOf } from "../durable-objects/addresses";
import type { ListingInventory } from "../durable-objects/listing-inventory";
import { PREPARE_AHEAD_MS, prepareDueEvents, prepareEvent } from "../worker/opening/prepare";
import { admin, claim, login, seedEvent } from "./helpers";

async function termsReads(eventId: string, listingId: string): Promise<number> {
	return runInDurableObject(listingInventoryOf(env, eventId, listingId), (i: ListingInventory) => i.termsReadsFromD1);
}

async function setRegion(eventId: string, region: string | null) {
	const event = await findEvent(env, eventId);
	if (!event) throw new Error("no event");
	const res = await admin("PUT", `/api/admin/events/${eventId}`, {
		name: event.name,
		startsAt: event.startsAt,
		endsAt: event.endsAt,
		holdSeconds: event.holdSeconds,
		perBuyerLimit: event.perBuyerLimit,
		region,
	});
	expect(res.status).toBe(200);
	return res.json<{ event: { region: string | null } }>();
}

describe("preparing the opening (freezeAtOpen)", () => {
	it("freezes the terms and hands every listing object its terms: the first claim reads no D1", async () => {
		const ev = await seedEvent({ listings: 3, buyers: 2, open: false });
		expect((await setRegion(ev.eventId, "weur")).event.region).toBe("weur");
		const res = await admin("POST", `/api/admin/events/${ev.eventId}/prepare`, {});
		expect(res.status).toBe(200);
		const { prepare } = await res.json<{
			prepare: { frozenAt: string; region: string; prepared: number; next: null };
		}>();
		expect(prepare).toMatchObject({ region: "weur", prepared: 3, next: null });
		const event = await findEvent(env, ev.eventId);
		expect(event?.termsFrozenAt).toBe(prepare.frozenAt);
		expect(event?.preparedAt).not.toBeNull();
		// Frozen: the catalogue can no longer change, before anyone claimed.
		const edit = await admin("PUT", `/api/admin/events/${ev.eventId}/listings`, {
			listings: [{ id: "L1", building: "1", floor: 1, unit: "01", layout: "x", areaM2: 1, priceCents: 1, stock: 5 }],
		});
		expect(edit.status).toBe(409);
		for (const id of ev.listingIds) {
			const snap = await listingInventoryOf(env, ev.eventId, id).snapshot();
			expect(snap.terms).toMatchObject({ eventId: ev.eventId, listingId: id, stock: 1, holdSeconds: 900 });
			expect(await termsReads(ev.eventId, id)).toBe(0);
		}
		// The stubs of the event's objects carry its region.
		expect(placementOf(ev.eventId)).toEqual({ locationHint: "weur" });

		expect((await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "open" })).status).toBe(200);
		const b1 = await login(ev.eventId, "B1");
		const b2 = await login(ev.eventId, "B2");
		expect((await claim(b1, "L1")).status).toBe(201);
		expect((await claim(b2, "L1")).status).toBe(409);
		expect((await claim(b2, "L2")).status).toBe(201);
		expect(await termsReads(ev.eventId, "L1")).toBe(0);
		expect(await termsReads(ev.eventId, "L2")).toBe(0);
	});

	it("without it, the first claim reads the terms from D1 (what the hook counts)", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		expect((await claim(await login(ev.eventId, "B1"), "L1")).status).toBe(201);
		expect(await termsReads(ev.eventId, "L1")).toBe(1);
		expect(placementOf(ev.eventId)).toBeUndefined();
	});

	it("goes slice by slice, and a second prepare changes nothing", async () => {
		const ev = await seedEvent({ listings: 5, buyers: 0, open: false });
		const first = await prepareEvent(env, ev.eventId, null, 2);
		expect(first).toMatchObject({ prepared: 2, next: "L2" });
		expect((await findEvent(env, ev.eventId))?.preparedAt).toBeNull();
		const second = await prepareEvent(env, ev.eventId, "L2", 2);
		expect(second).toMatchObject({ prepared: 2, next: "L4", frozenAt: first?.frozenAt });
		const last = await prepareEvent(env, ev.eventId, "L4", 2);
		expect(last).toMatchObject({ prepared: 1, next: null, frozenAt: first?.frozenAt });
		expect((await findEvent(env, ev.eventId))?.preparedAt).not.toBeNull();
		const again = await admin("POST", `/api/admin/events/${ev.eventId}/prepare`, {});
		expect((await again.json<{ prepare: { frozenAt: string } }>()).prepare.frozenAt).toBe(first?.frozenAt);
		for (const id of ev.listingIds) expect(await termsReads(ev.eventId, id)).toBe(0);
	});

	it("the cron prepares an event that starts within two minutes, and only then", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 0, open: false });
		const startsAt = Date.parse((await findEvent(env, ev.eventId))?.startsAt ?? "");
		await prepareDueEvents(env, startsAt - PREPARE_AHEAD_MS - 60_000);
		expect((await findEvent(env, ev.eventId))?.termsFrozenAt).toBeNull();
		await prepareDueEvents(env, startsAt - 60_000);
		const event = await findEvent(env, ev.eventId);
		expect(event?.termsFrozenAt).not.toBeNull();
		expect(event?.preparedAt).not.toBeNull();
		for (const id of ev.listingIds) {
			expect((await listingInventoryOf(env, ev.eventId, id).snapshot()).terms?.stock).toBe(1);
		}
	});

	it("bad input changes nothing: an unknown region, an unknown event, a bad cursor", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 0, open: false });
		const event = await findEvent(env, ev.eventId);
		const bad = await admin("PUT", `/api/admin/events/${ev.eventId}`, {
			name: "x",
			startsAt: event?.startsAt,
			endsAt: event?.endsAt,
			region: "mars",
		});
		expect(bad.status).toBe(400);
		expect((await admin("POST", "/api/admin/events/nope-no-event/prepare", {})).status).toBe(404);
		expect((await admin("POST", `/api/admin/events/${ev.eventId}/prepare`, { after: "a:b" })).status).toBe(400);
		expect((await admin("POST", `/api/admin/events/${ev.eventId}/prepare`, { extra: 1 })).status).toBe(400);
		expect((await findEvent(env, ev.eventId))?.termsFrozenAt).toBeNull();
	});
});
