// db/settings.ts against the local D1: an event's degradation switches round-trip under the key stored
// rows already use, with defaults for what was never set.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dbOf, schema } from "../../db/client";
import { DEFAULT_SWITCHES, readSwitches, saveSwitches } from "../../db/settings";
import { uniqueId } from "./utils";

async function storeRaw(key: string, value: string): Promise<void> {
	await dbOf(env).insert(schema.settings).values({ key, value, updatedAt: new Date().toISOString() });
}

describe("readSwitches / saveSwitches", () => {
	it("an event never switched has every switch off", async () => {
		expect(await readSwitches(env, uniqueId("ev"))).toEqual({
			claimsPaused: false,
			smsOff: false,
			buyerLiveOff: false,
		});
		expect(DEFAULT_SWITCHES).toEqual({ claimsPaused: false, smsOff: false, buyerLiveOff: false });
	});

	it("saved changes read back, merged over what was stored before, for that event only", async () => {
		const eventId = uniqueId("ev");
		expect(await saveSwitches(env, eventId, { smsOff: true })).toEqual({ ...DEFAULT_SWITCHES, smsOff: true });
		expect(await saveSwitches(env, eventId, { claimsPaused: true })).toEqual({
			claimsPaused: true,
			smsOff: true,
			buyerLiveOff: false,
		});
		expect(await saveSwitches(env, eventId, { smsOff: false })).toEqual({ ...DEFAULT_SWITCHES, claimsPaused: true });
		expect(await readSwitches(env, eventId)).toEqual({ ...DEFAULT_SWITCHES, claimsPaused: true });
		expect(await readSwitches(env, uniqueId("ev"))).toEqual(DEFAULT_SWITCHES);
	});

	it("stores one JSON row under flags:<eventId>, the key existing data uses", async () => {
		const eventId = uniqueId("ev");
		await saveSwitches(env, eventId, { buyerLiveOff: true });
		await saveSwitches(env, eventId, { smsOff: true });
		const rows = await dbOf(env)
			.select()
			.from(schema.settings)
			.where(eq(schema.settings.key, `flags:${eventId}`));
		expect(rows.length).toBe(1);
		expect(JSON.parse(rows[0]?.value ?? "null")).toEqual({ claimsPaused: false, smsOff: true, buyerLiveOff: true });
	});

	it("reads a row written before (some switches only) with defaults for the rest", async () => {
		const eventId = uniqueId("ev");
		await storeRaw(`flags:${eventId}`, JSON.stringify({ smsOff: true }));
		expect(await readSwitches(env, eventId)).toEqual({ ...DEFAULT_SWITCHES, smsOff: true });
	});

	it("ignores a stored value whole when it names an unknown switch or holds a non-boolean", async () => {
		for (const value of [{ smsOff: true, later: true }, { smsOff: "yes" }, [true], null]) {
			const eventId = uniqueId("ev");
			await storeRaw(`flags:${eventId}`, JSON.stringify(value));
			expect(await readSwitches(env, eventId)).toEqual(DEFAULT_SWITCHES);
		}
	});
});
