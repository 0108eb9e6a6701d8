// db/dead-letters.ts against the local D1: a message is parked once by its id, listed oldest first,
// and removed by id after its replay.
import { env } from "cloudflare:workers";
import { inArray, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dbOf, schema } from "../../db/client";
import { type DeadLetterRow, deleteDeadLetters, listDeadLetters, parkDeadLetters } from "../../db/dead-letters";
import { D1_MAX_BOUND_PARAMETERS } from "../../db/sql";
import { recordingD1, uniqueId } from "./utils";

function letter(fields: Partial<DeadLetterRow> = {}): DeadLetterRow {
	return {
		id: uniqueId("msg"),
		queue: "kaipan-orders",
		body: JSON.stringify({ holdId: uniqueId("h") }),
		attempts: 3,
		parkedAt: new Date().toISOString(),
		...fields,
	};
}

function stored(ids: string[]) {
	return dbOf(env).select().from(schema.deadLetters).where(inArray(schema.deadLetters.id, ids));
}

describe("parkDeadLetters", () => {
	it("is idempotent by message id: a redelivered dead letter is parked once, as first parked", async () => {
		const first = letter({ attempts: 3 });
		await parkDeadLetters(env, [first]);
		await parkDeadLetters(env, [{ ...first, attempts: 9, parkedAt: "2099-01-01T00:00:00.000Z" }]);
		await parkDeadLetters(env, [first, first]);
		expect(await stored([first.id])).toEqual([first]);
	});

	it("parks a batch together, and an empty batch is nothing to do", async () => {
		const batch = [letter(), letter({ queue: "kaipan-notifications" }), letter()];
		await parkDeadLetters(env, batch);
		await parkDeadLetters(env, []);
		expect((await stored(batch.map((l) => l.id))).length).toBe(3);
	});
});

describe("listDeadLetters", () => {
	it("lists the oldest parked first, at most `limit`", async () => {
		// Older than anything the rest of the suite parks, so these three lead the list.
		const old = [
			letter({ parkedAt: "1970-01-01T00:00:02.000Z" }),
			letter({ parkedAt: "1970-01-01T00:00:01.000Z" }),
			letter({ parkedAt: "1970-01-01T00:00:03.000Z" }),
		];
		await parkDeadLetters(env, old);
		const listed = await listDeadLetters(env, 2);
		expect(listed.map((l) => l.id)).toEqual([old[1]?.id, old[0]?.id]);
		await deleteDeadLetters(
			env,
			old.map((l) => l.id),
		);
	});
});

describe("deleteDeadLetters", () => {
	it("removes the named letters only, 120 ids in statements of at most 100 parameters", async () => {
		const prefix = uniqueId("bulk");
		const letters = Array.from({ length: 121 }, (_, i) => letter({ id: `${prefix}-${i}` }));
		await parkDeadLetters(env, letters);
		const [kept, ...gone] = letters;
		const recorder = recordingD1();
		await deleteDeadLetters(recorder.env, [...gone.map((l) => l.id), uniqueId("unknown")]);
		const deletes = recorder.statements.filter((s) => s.sql.startsWith("delete from"));
		expect(deletes.length).toBe(2);
		for (const s of deletes) expect(s.parameters).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
		// Selected by prefix: 121 ids would themselves be past the limit.
		const left = await dbOf(env)
			.select()
			.from(schema.deadLetters)
			.where(like(schema.deadLetters.id, `${prefix}-%`));
		expect(left).toEqual(kept ? [kept] : []);
	});
});
