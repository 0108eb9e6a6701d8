// The signing algorithm (docs/SIGNING.md) and the client module, end to end through the worker.
import { describe, expect, it } from "vitest";
import { KaipanApiError, KaipanClient } from "../client/kaipan-client";
import { canonicalString, signRequest } from "../client/signing";
import { sha256Hex } from "../lib/crypto";
import { utf8 } from "../lib/encoding";
import { addressOf, fetchWorker, orders, seedEvent } from "./helpers";

const example = {
	method: "POST",
	pathAndQuery: "/api/events/e1/claims",
	timestamp: "1767225600000",
	nonce: "nonce-0123456789abcdef",
	body: '{"listingId":"L1"}',
};
const exampleKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

describe("the worked example of docs/SIGNING.md", () => {
	it("hashes the body, builds the canonical string and signs it as documented", async () => {
		expect(await sha256Hex(utf8(example.body))).toBe(
			"6e123e3f7771082bdd02c874e330949988b7acb6025d4fd9b2ec4f7594fb4c23",
		);
		expect(await canonicalString(example)).toBe(
			"POST\n/api/events/e1/claims\n1767225600000\nnonce-0123456789abcdef\n6e123e3f7771082bdd02c874e330949988b7acb6025d4fd9b2ec4f7594fb4c23",
		);
		expect(await signRequest(exampleKey, example)).toBe("yhZLmzOIQkamIO3YeSONPBpXTn7Gc0FvKf6AsPOZHlc");
	});

	it("changes with every part of the request", async () => {
		const base = await signRequest(exampleKey, example);
		for (const change of [
			{ method: "PUT" },
			{ pathAndQuery: "/api/events/e2/claims" },
			{ timestamp: "1767225600001" },
			{ nonce: "nonce-0123456789abcdeg" },
			{ body: '{"listingId":"L2"}' },
		]) {
			expect(await signRequest(exampleKey, { ...example, ...change })).not.toBe(base);
		}
	});
});

function clientFor(buyerId: string) {
	return new KaipanClient({
		baseUrl: "https://kaipan.test",
		fetch: fetchWorker,
		headers: { "cf-connecting-ip": addressOf(buyerId) },
	});
}

describe("KaipanClient against the real worker", () => {
	it("logs in, claims, lists and cancels a hold", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 2 });
		const kp = clientFor("B1");
		await kp.login(ev.eventId, "B1", "accessB1");
		const { event } = await kp.getEvent(ev.eventId);
		expect(event.status).toBe("open");
		const hold = await kp.claim("L1");
		expect(hold).toMatchObject({ listingId: "L1", status: "held", created: true });
		expect((await kp.claim("L1")).created).toBe(false);
		expect((await kp.myHolds()).holds.map((h) => h.holdId)).toEqual([hold.holdId]);
		const other = clientFor("B2");
		await other.login(ev.eventId, "B2", "accessB2");
		const refused = await other.claim("L1").catch((e: unknown) => e);
		expect(refused).toBeInstanceOf(KaipanApiError);
		expect(refused).toMatchObject({ status: 409, code: "sold_out" });
		expect(await kp.cancel(hold.holdId)).toMatchObject({ status: "cancelled" });
		await expect(kp.cancel(hold.holdId)).rejects.toMatchObject({ code: "hold_not_active" });
		expect((await orders(ev.eventId)).length).toBeLessThanOrEqual(1);
	});

	it("corrects a skewed device clock with the client's `now`", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const skewed = new KaipanClient({
			baseUrl: "https://kaipan.test",
			fetch: fetchWorker,
			headers: { "cf-connecting-ip": addressOf("B1") },
			now: () => Date.now() - 45_000,
		});
		await skewed.login(ev.eventId, "B1", "accessB1");
		await expect(skewed.claim("L1")).rejects.toMatchObject({ status: 403, code: "stale_timestamp" });
	});
});
