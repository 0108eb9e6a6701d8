// db/orders.ts against the local D1: the upsert that makes at-least-once delivery exactly-once (the
// hold id as key, the version as order) and answers the versions D1 has, and pages in D1's arrival
// order that a late order cannot slip past.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dbOf, schema } from "../../db/client";
import {
	findHoldAddress,
	type OrderRow,
	orderRowOf,
	ordersPage,
	orderVersion,
	orderVersionsOf,
	upsertOrders,
} from "../../db/orders";
import { encodeCursor, parseSeqCursor } from "../../db/pagination";
import type { HoldRecord } from "../../lib/hold-record";
import { holdRecord, uniqueId } from "./utils";

/** The order row without its arrival number, which depends on every other test's writes. */
async function orderOf(holdId: string): Promise<Omit<OrderRow, "seq"> | undefined> {
	const rows = await dbOf(env).select().from(schema.orders).where(eq(schema.orders.holdId, holdId));
	expect(rows.length).toBeLessThanOrEqual(1);
	const [row] = rows;
	if (!row) return undefined;
	const { seq: _seq, ...rest } = row;
	return rest;
}

/** Every page of the event's orders, walked with the cursors the function hands back. */
async function allPages(eventId: string, limit: number): Promise<OrderRow[][]> {
	const pages: OrderRow[][] = [];
	let after: number | null = null;
	for (;;) {
		const { page, nextCursor } = await ordersPage(env, eventId, after, limit);
		pages.push(page);
		if (nextCursor === null) return pages;
		after = parseSeqCursor(nextCursor);
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

describe("upsertOrders' answer", () => {
	it("is the version each hold's row has after the write, older deliveries included", async () => {
		const a = holdRecord();
		const b = holdRecord();
		const a2: HoldRecord = { ...a, status: "expired", expiresAt: null, version: 2, updatedAt: a.updatedAt + 1 };
		expect(await upsertOrders(env, [a2, b])).toEqual(
			new Map([
				[a.holdId, 2],
				[b.holdId, 1],
			]),
		);
		expect(await upsertOrders(env, [a])).toEqual(new Map([[a.holdId, 2]]));
		expect(await orderVersion(env, a.holdId)).toBe(2);
		expect(await orderVersion(env, uniqueId("h"))).toBeNull();
	});
});

describe("orderVersionsOf", () => {
	it("lists every order of one event with its listing, status and version", async () => {
		const eventId = uniqueId("ev");
		const h = holdRecord({ eventId, listingId: "L2" });
		await upsertOrders(env, [h, { ...h, status: "confirmed", version: 2 }, holdRecord()]);
		expect(await orderVersionsOf(env, eventId)).toEqual([
			{ holdId: h.holdId, listingId: "L2", status: "confirmed", version: 2 },
		]);
	});
});

describe("ordersPage", () => {
	it("walks every order once, in the order D1 received them, whatever their createdAt", async () => {
		const eventId = uniqueId("ev");
		const t = Date.UTC(2030, 5, 1);
		const holds = [
			...Array.from({ length: 7 }, (_, i) => holdRecord({ eventId, holdId: uniqueId(`h-same-${i}`), createdAt: t })),
			holdRecord({ eventId, createdAt: t - 1 }),
			holdRecord({ eventId, createdAt: t + 1 }),
		];
		await upsertOrders(env, [...holds, holdRecord({ createdAt: t })]); // the last: another event's
		for (const limit of [1, 2, 3, 9, 50]) {
			const pages = await allPages(eventId, limit);
			expect(pages.flat().map((r) => r.holdId)).toEqual(holds.map((h) => h.holdId));
			expect(pages.length).toBe(Math.max(1, Math.ceil(9 / limit)));
			for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
		}
	});

	it("an order written after a page was served comes on a following page, though created before all (finding h)", async () => {
		const eventId = uniqueId("ev");
		const t = Date.UTC(2030, 5, 1);
		const early = [0, 1, 2].map((i) => holdRecord({ eventId, createdAt: t + i }));
		await upsertOrders(env, early);
		const first = await ordersPage(env, eventId, null, 2);
		const late = holdRecord({ eventId, createdAt: t - 3_600_000 });
		await upsertOrders(env, [late]);
		// A later version of an order already served does not move it: it keeps its place.
		const first0 = early[0];
		if (!first0) throw new Error("no early order");
		await upsertOrders(env, [{ ...first0, status: "confirmed", version: 2 }]);
		const rest = await ordersPage(env, eventId, parseSeqCursor(first.nextCursor ?? ""), 10);
		expect([...first.page, ...rest.page].map((r) => r.holdId)).toEqual([...early, late].map((h) => h.holdId));
	});

	it("an event without orders is one empty page", async () => {
		expect(await ordersPage(env, uniqueId("ev"), null, 10)).toEqual({ page: [], nextCursor: null });
	});
});

describe("parseSeqCursor", () => {
	it("reads back only cursors the pages made; a (time, id) cursor from before is refused", async () => {
		const eventId = uniqueId("ev");
		await upsertOrders(env, [holdRecord({ eventId }), holdRecord({ eventId })]);
		const { page, nextCursor } = await ordersPage(env, eventId, null, 1);
		const first = page[0];
		expect(first && nextCursor && parseSeqCursor(nextCursor)).toEqual(first?.seq);
		const b64url = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "");
		const old = encodeCursor(["2030-01-01T00:00:00.000Z", "h1"]);
		for (const bad of ["", "!!", "bm90IGpzb24", old, b64url({ seq: -1 }), b64url({ seq: "1" }), b64url({ a: 1 })]) {
			expect(parseSeqCursor(bad)).toBeNull();
		}
	});
});
