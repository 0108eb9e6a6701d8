// db/buyers.ts against the local D1: bulk upserts split under D1's parameter limit, and the two
// lookups (login's hash, the SMS phone).
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { findAccessCodeHash, findBuyerPhone, upsertBuyers } from "../../db/buyers";
import { dbOf, schema } from "../../db/client";
import { D1_MAX_BOUND_PARAMETERS } from "../../db/sql";
import { buyerRow, recordingD1, seededEventId, uniqueId } from "./utils";

function storedBuyers(eventId: string) {
	return dbOf(env).select().from(schema.buyers).where(eq(schema.buyers.eventId, eventId)).orderBy(schema.buyers.id);
}

describe("upsertBuyers", () => {
	it("30 buyers (180 parameters) go in as statements of at most 100 parameters, every row stored", async () => {
		const eventId = await seededEventId();
		const buyers = Array.from({ length: 30 }, (_, i) => buyerRow(eventId, i + 1));
		const recorder = recordingD1();
		await upsertBuyers(recorder.env, buyers);

		const inserts = recorder.statements.filter((s) => s.sql.startsWith("insert into"));
		expect(inserts.length).toBe(2); // 16 + 14 rows of 6 columns
		for (const s of inserts) expect(s.parameters).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
		expect(await storedBuyers(eventId)).toEqual([...buyers].sort((a, b) => a.id.localeCompare(b.id)));
	});

	it("a second upsert replaces name, phone and access code but keeps when the buyer was first added", async () => {
		const eventId = await seededEventId();
		await upsertBuyers(env, [buyerRow(eventId, 1, { createdAt: "2030-01-01T00:00:00.000Z" })]);
		await upsertBuyers(env, [
			buyerRow(eventId, 1, {
				name: null,
				phone: "+8613900000000",
				accessCodeHash: "new",
				createdAt: "2031-01-01T00:00:00.000Z",
			}),
		]);
		const rows = await dbOf(env)
			.select()
			.from(schema.buyers)
			.where(and(eq(schema.buyers.eventId, eventId), eq(schema.buyers.id, "B1")));
		expect(rows).toEqual([
			{
				eventId,
				id: "B1",
				name: null,
				phone: "+8613900000000",
				accessCodeHash: "new",
				createdAt: "2030-01-01T00:00:00.000Z",
			},
		]);
	});
});

describe("findAccessCodeHash / findBuyerPhone", () => {
	it("find the buyer of this event; null for an unknown buyer or one in another event", async () => {
		const eventId = await seededEventId();
		await upsertBuyers(env, [buyerRow(eventId, 1, { accessCodeHash: "h1", phone: "+8613800000001" })]);
		expect(await findAccessCodeHash(env, eventId, "B1")).toBe("h1");
		expect(await findBuyerPhone(env, eventId, "B1")).toBe("+8613800000001");
		expect(await findAccessCodeHash(env, eventId, "B2")).toBeNull();
		expect(await findAccessCodeHash(env, uniqueId("ev"), "B1")).toBeNull();
		expect(await findBuyerPhone(env, uniqueId("ev"), "B1")).toBeNull();
	});

	it("a buyer without a phone has no phone", async () => {
		const eventId = await seededEventId();
		await upsertBuyers(env, [buyerRow(eventId, 1, { phone: null })]);
		expect(await findBuyerPhone(env, eventId, "B1")).toBeNull();
	});
});
