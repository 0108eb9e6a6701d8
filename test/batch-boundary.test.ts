// Batch boundaries under concurrency (guarantee 8, issue 12): at 1 ms before a batch's entryAt every
// request of its buyers — purchase tokens and claims on several units at once, from every buyer of the
// batch together — is refused with 423 not_your_turn and that entryAt, while earlier batches are
// served at the same instant; at 1 ms after, the batch is served and the next one still refused. The
// same boundary holds for auto-claim, which the server runs from an alarm.
//
// Time is the test's: vi.setSystemTime moves Date in this isolate, which runs the worker and its
// objects alike (the hook lottery.test.ts uses too), so no test sleeps through a batch.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { dbOf, schema } from "../db/client";
import { buyerQuotaOf } from "../durable-objects/addresses";
import type { BuyerQuota } from "../durable-objects/buyer-quota";
import { seedHashOf } from "../lib/draw";
import { invalidateEvent } from "../worker/hot-reads/catalogue";
import { admin, bearer, call, claim, json, type Login, login, purchaseToken, uniqueId } from "./helpers";

const BATCH_SECONDS = 10;

afterEach(() => {
	vi.useRealTimers();
});

/**
 * A drawn lottery event of `buyers` buyers in batches of 2, opened; its order and sessions by position.
 * Each test names its buyers apart (`prefix`): a buyer's test address is derived from its id, and an
 * address's rate buckets would otherwise carry one test's moved clock into the next.
 */
async function drawnEvent(buyers: number, listings: number, prefix: string) {
	const eventId = uniqueId("edge");
	const now = Date.now();
	const body = {
		name: `Boundary ${eventId}`,
		startsAt: new Date(now + 3_600_000).toISOString(),
		endsAt: new Date(now + 7_200_000).toISOString(),
		mode: "lottery",
		batchSize: 2,
		batchSeconds: BATCH_SECONDS,
		autoClaimDelaySeconds: 0,
	};
	expect((await admin("PUT", `/api/admin/events/${eventId}`, body)).status).toBe(200);
	await admin("PUT", `/api/admin/events/${eventId}/listings`, {
		listings: Array.from({ length: listings }, (_, i) => ({
			id: `L${i + 1}`,
			building: "1",
			floor: i + 1,
			unit: "01",
			layout: "2室",
			areaM2: 80,
			priceCents: 1,
		})),
	});
	await admin("PUT", `/api/admin/events/${eventId}/buyers`, {
		buyers: Array.from({ length: buyers }, (_, i) => ({
			id: `${prefix}${i + 1}`,
			accessCode: `access${prefix}${i + 1}`,
		})),
	});
	await admin("POST", `/api/admin/events/${eventId}/draw/commit`, { seedHash: await seedHashOf("edge") });
	const revealed = await admin("POST", `/api/admin/events/${eventId}/draw/reveal`, { seed: "edge" });
	const order = (await revealed.json<{ draw: { order: string[] } }>()).draw.order;
	expect((await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" })).status).toBe(200);
	const sessions = await Promise.all(order.map((id) => login(eventId, id, `access${id}`)));
	return { eventId, order, sessions };
}

/** Moves the actual opening (as the status route writes it) and drops this isolate's copy of the event. */
async function openedAt(eventId: string, at: number) {
	const e = schema.events;
	await dbOf(env)
		.update(e)
		.set({ openedAt: new Date(at).toISOString(), statusMode: "open" })
		.where(eq(e.id, eventId));
	await invalidateEvent(eventId);
}

async function statusesAndEntry(responses: Response[]) {
	return Promise.all(
		responses.map(async (r) => {
			const body = await r.json<{ entryAt?: string; error?: { code: string } }>();
			return `${r.status}${body.error ? ` ${body.error.code} ${body.entryAt}` : ""}`;
		}),
	);
}

describe("batch boundaries under concurrency (guarantee 8)", () => {
	it("1 ms before entryAt the whole batch is refused, all at once; 1 ms after it is served", async () => {
		const ev = await drawnEvent(6, 12, "P");
		const entry = Date.now() + 60_000; // batch 1 (positions 2, 3) enters here
		await openedAt(ev.eventId, entry - BATCH_SECONDS * 1000);
		const iso = (ms: number) => new Date(ms).toISOString();
		const [b0a, b0b, b1a, b1b, b2a, b2b] = ev.sessions as [Login, Login, Login, Login, Login, Login];
		vi.useFakeTimers({ toFake: ["Date"] });

		vi.setSystemTime(entry - 1);
		const early = await Promise.all([
			claim(b1a, "L1"),
			claim(b1a, "L2"),
			claim(b1b, "L1"),
			claim(b1b, "L3"),
			purchaseToken(b1a),
			purchaseToken(b1b),
			claim(b2a, "L4"),
			claim(b2b, "L5"),
			// Batch 0 is in: served at the same instant.
			claim(b0a, "L6"),
			claim(b0b, "L7"),
		]);
		expect(await statusesAndEntry(early)).toEqual([
			...Array(6).fill(`423 not_your_turn ${iso(entry)}`),
			`423 not_your_turn ${iso(entry + BATCH_SECONDS * 1000)}`,
			`423 not_your_turn ${iso(entry + BATCH_SECONDS * 1000)}`,
			"201",
			"201",
		]);

		vi.setSystemTime(entry + 1);
		const late = await Promise.all([
			claim(b1a, "L1"),
			claim(b1b, "L2"),
			claim(b2a, "L4"),
			claim(b2b, "L5"),
			purchaseToken(b2a),
		]);
		expect(await statusesAndEntry(late)).toEqual([
			"201",
			"201",
			`423 not_your_turn ${iso(entry + BATCH_SECONDS * 1000)}`,
			`423 not_your_turn ${iso(entry + BATCH_SECONDS * 1000)}`,
			`423 not_your_turn ${iso(entry + BATCH_SECONDS * 1000)}`,
		]);
	});

	it("auto-claim keeps the same boundary: its alarm 1 ms before entryAt gives nothing, 1 ms after a unit", async () => {
		const ev = await drawnEvent(4, 4, "Q");
		const [, , late] = ev.sessions as [Login, Login, Login, Login]; // position 2: batch 1
		const entry = Date.now() + 60_000;
		await openedAt(ev.eventId, entry - BATCH_SECONDS * 1000);
		const put = await json("PUT", "/api/me/wishlist", { listingIds: ["L3", "L4"], autoClaim: true }, bearer(late));
		expect(put.status).toBe(200);
		const stub = buyerQuotaOf(env, ev.eventId, late.buyerId);
		vi.useFakeTimers({ toFake: ["Date"] });
		vi.setSystemTime(entry - 1);
		await runInDurableObject(stub, (instance: BuyerQuota) => instance.alarm());
		expect(await stub.autoClaimStatus()).toMatchObject({ state: "armed", wakeAt: entry });
		vi.setSystemTime(entry + 1);
		await runInDurableObject(stub, (instance: BuyerQuota) => instance.alarm());
		expect(await stub.autoClaimStatus()).toMatchObject({ state: "done", outcome: "granted" });
		const holds = await (await call("/api/me/holds", { headers: bearer(late) })).json<{ holds: object[] }>();
		expect(holds.holds).toMatchObject([{ listingId: "L3", status: "held", auto: true }]);
		// The wish list itself locked at the same moment.
		const locked = await json("PUT", "/api/me/wishlist", { listingIds: ["L4"] }, bearer(late));
		expect(locked.status).toBe(409);
	});
});
