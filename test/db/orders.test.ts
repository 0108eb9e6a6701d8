// db/orders.ts against the local D1: the upsert that makes at-least-once delivery exactly-once (the
// hold id as key, the version as order), and keyset pages that survive equal timestamps.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dbOf, schema } from "../../db/client";
import { findHoldAddress, type OrderRow, orderRowOf, ordersPage, upsertOrders } from "../../db/orders";
import { parseCursor, type SortKey } from "../../db/pagination";
import type { HoldRecord } from "../../lib/hold-record";
import { holdRecord, uniqueId } from "./utils";

async function orderOf(holdId: string): Promise<OrderRow | undefined> {
	const rows = await dbOf(env).select().from(schema.orders).where(eq(schema.orders.holdId, holdId));
	expect(rows.length).toBeLessThanOrEqual(1);
	return rows[0];
}

/** Every page of the event's orders, walked with the cursors the function hands back. */
async function allPages(eventId: string, limit: number): Promise<OrderRow[][]> {
	const pages: OrderRow[][] = [];
	let after: SortKey | null = null;
	for (;;) {
		const { page, nextCursor } = await ordersPage(env, eventId, after, limit);
		pages.push(page);
		if (nextCursor === null) return pages;
		after = parseCursor(nextCursor);
		expect(after).not.toBeNull();
	}
}

describe("upsertOrders", () => {
	it("inserts a new hold as its order row", async () => {
		const h = holdRecord({ createdAt: Date.UTC(2030, 0, 1), updatedAt: Date.UTC(2030, 0, 2) });
		await upsertOrders(env, [h]);
		expect(await orderOf(h.holdId)).toEqual({
			holdId: h.holdId,
			eventId: h.eventId,
			listingId: h.listingId,
			buyerId: h.buyerId,
			status: "held",
			priceCents: h.priceCents,
			createdAt: "2030-01-01T00:00:00.000Z",
			updatedAt: "2030-01-02T00:00:00.000Z",
			version: 1,
		});
	});

	it("is idempotent: the same delivery three times leaves one unchanged row", async () => {
		const h = holdRecord();
		await upsertOrders(env, [h]);
		await upsertOrders(env, [h, h]);
		await upsertOrders(env, [h]);
		expect(await orderOf(h.holdId)).toEqual(orderRowOf(h));
	});

	it("a newer version moves the row forward (status, updatedAt, version; createdAt stays)", async () => {
		const held = holdRecord({ updatedAt: Date.UTC(2030, 0, 1) });
		const confirmed: HoldRecord = { ...held, status: "confirmed", version: 2, updatedAt: Date.UTC(2030, 0, 2) };
		await upsertOrders(env, [held]);
		await upsertOrders(env, [confirmed]);
		expect(await orderOf(held.holdId)).toEqual(orderRowOf(confirmed));
	});

	it("an older version never overwrites a newer one, whether later in time or later in the same batch", async () => {
		const v1 = holdRecord({ status: "held", version: 1 });
		const v2: HoldRecord = { ...v1, status: "confirmed", version: 2, updatedAt: v1.updatedAt + 1_000 };
		const v3: HoldRecord = { ...v1, status: "cancelled", version: 3, updatedAt: v1.updatedAt + 2_000 };
		await upsertOrders(env, [v3]);
		await upsertOrders(env, [v1]);
		await upsertOrders(env, [v2, v1]);
		expect(await orderOf(v1.holdId)).toEqual(orderRowOf(v3));

		const w = holdRecord();
		const w2: HoldRecord = { ...w, status: "expired", version: 2, updatedAt: w.updatedAt + 1_000 };
		await upsertOrders(env, [w2, w]); // reordered inside one batch
		expect(await orderOf(w.holdId)).toMatchObject({ status: "expired", version: 2 });
	});

	it("an equal version with other content changes nothing (the first write of a version wins)", async () => {
		const h = holdRecord({ version: 4 });
		await upsertOrders(env, [h]);
		await upsertOrders(env, [{ ...h, status: "released", updatedAt: h.updatedAt + 1 }]);
		expect(await orderOf(h.holdId)).toEqual(orderRowOf(h));
	});

	it("is one transaction: a bad hold in the batch leaves the good ones unwritten too", async () => {
		const good = holdRecord();
		const bad = { ...holdRecord(), listingId: null } as unknown as HoldRecord;
		await expect(upsertOrders(env, [good, bad])).rejects.toThrow();
		expect(await orderOf(good.holdId)).toBeUndefined();
	});
});

describe("findHoldAddress", () => {
	it("names the event, listing and buyer of a known hold; null for a hold D1 does not have yet", async () => {
		const h = holdRecord({ listingId: "L7", buyerId: "B9" });
		await upsertOrders(env, [h]);
		expect(await findHoldAddress(env, h.holdId)).toEqual({ eventId: h.eventId, listingId: "L7", buyerId: "B9" });
		expect(await findHoldAddress(env, uniqueId("h"))).toBeNull();
	});
});

describe("ordersPage", () => {
	it("walks every order once, oldest first, when many share a timestamp and the pages cut through them", async () => {
		const eventId = uniqueId("ev");
		const t = Date.UTC(2030, 5, 1);
		const holds = [
			...Array.from({ length: 7 }, (_, i) => holdRecord({ eventId, holdId: `h-same-${i}`, createdAt: t })),
			holdRecord({ eventId, holdId: "h-z-early", createdAt: t - 1 }),
			holdRecord({ eventId, holdId: "h-a-late", createdAt: t + 1 }),
			holdRecord({ eventId: uniqueId("ev"), createdAt: t }), // another event's
		];
		await upsertOrders(env, holds);

		for (const limit of [1, 2, 3, 9, 50]) {
			const pages = await allPages(eventId, limit);
			const ids = pages.flat().map((r) => r.holdId);
			expect(ids).toEqual(["h-z-early", ...Array.from({ length: 7 }, (_, i) => `h-same-${i}`), "h-a-late"]);
			expect(pages.length).toBe(Math.max(1, Math.ceil(9 / limit)));
			for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
		}
	});

	it("an event without orders is one empty page", async () => {
		expect(await ordersPage(env, uniqueId("ev"), null, 10)).toEqual({ page: [], nextCursor: null });
	});
});

describe("parseCursor", () => {
	it("reads back only cursors the pages made", async () => {
		const eventId = uniqueId("ev");
		await upsertOrders(env, [holdRecord({ eventId }), holdRecord({ eventId })]);
		const { page, nextCursor } = await ordersPage(env, eventId, null, 1);
		const first = page[0];
		expect(first && nextCursor && parseCursor(nextCursor)).toEqual(first && [first.createdAt, first.holdId]);
		const b64url = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "");
		for (const bad of ["", "!!", "bm90IGpzb24", b64url([1, 2]), b64url(["only one"]), b64url({ a: 1 })]) {
			expect(parseCursor(bad)).toBeNull();
		}
	});
});
