// Fix 4 of docs/SCALE.md (`pushSoldOut`): once one isolate has seen a unit sold out, every isolate of
// its location answers sold_out without asking the unit's object (worker/hot-reads/sold-out-colo.ts).
// A "fresh isolate" here is this isolate with its in-memory flags forgotten (the test hooks); what is
// left is the location's Cache API, as for another isolate on Cloudflare. Requests towards the objects
// are counted at the edge: claims forwarded (to the buyer object, then the listing object) and peeks.
import { afterEach, describe, expect, it, vi } from "vitest";
import { forwardedClaimsForTests } from "../worker/claim/claim-flow";
import { peeksForTests } from "../worker/claim/sold-out-gate";
import {
	COLO_CHECK_MS,
	coloLookupsForTests,
	learnSoldOutFromColo,
	resetColoMemoryForTests,
	soldOutCacheUrl,
} from "../worker/hot-reads/sold-out-colo";
import { clearSoldOut, resetSoldOutFlagsForTests } from "../worker/hot-reads/sold-out-flags";
import { cancel, claim, errorCode, login, seedEvent } from "./helpers";

/** This isolate as a new one of the same location: nothing in memory, the location's cache kept. */
function freshIsolate(): void {
	resetSoldOutFlagsForTests();
	resetColoMemoryForTests();
}

const objectRequests = () => forwardedClaimsForTests() + peeksForTests();

async function sharedFlag(eventId: string, listingId: string) {
	const hit = await caches.default.match(soldOutCacheUrl(eventId, listingId));
	return hit ? hit.json<{ until: number; holders: string[]; setAt: number }>() : null;
}

afterEach(() => freshIsolate());

describe("the location's sold-out set", () => {
	it("answers sold_out in a fresh isolate without a request reaching the listing object", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 3 });
		const [b1, b2, b3] = await Promise.all(["B1", "B2", "B3"].map((b) => login(ev.eventId, b)));
		if (!b1 || !b2 || !b3) throw new Error("logins");
		expect((await claim(b1, "L1")).status).toBe(201);
		// The grant that filled the stock is shared with the location (after the answer: waitUntil).
		await vi.waitFor(async () => expect(await sharedFlag(ev.eventId, "L1")).toMatchObject({ holders: ["B1"] }));

		freshIsolate();
		const before = objectRequests();
		const lookups = coloLookupsForTests();
		const res = await claim(b2, "L1");
		expect(res.status).toBe(409);
		expect(await errorCode(res)).toBe("sold_out");
		expect(objectRequests()).toBe(before);
		expect(coloLookupsForTests()).toBe(lookups + 1);
		// From then on this isolate's own flag answers: no second look at the location.
		expect((await claim(b3, "L1")).status).toBe(409);
		expect(objectRequests()).toBe(before);
		expect(coloLookupsForTests()).toBe(lookups + 1);

		// The holder is never refused by a shared flag: its retry goes on and is answered 200.
		freshIsolate();
		const retry = await claim(b1, "L1");
		expect(retry.status).toBe(200);
		expect(objectRequests()).toBe(before + 1);
	});

	it("learns of a sold_out answer too (not only of the grant), and a free through any isolate drops it", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 3 });
		const [b1, b2, b3] = await Promise.all(["B1", "B2", "B3"].map((b) => login(ev.eventId, b)));
		if (!b1 || !b2 || !b3) throw new Error("logins");
		const won = await claim(b1, "L1");
		expect(won.status).toBe(201);
		const { holdId } = await won.json<{ holdId: string }>();
		// The location forgets; the next loser's answer from the object records it again.
		await vi.waitFor(async () => expect(await sharedFlag(ev.eventId, "L1")).not.toBeNull());
		await caches.default.delete(soldOutCacheUrl(ev.eventId, "L1"));
		freshIsolate();
		expect((await claim(b2, "L1")).status).toBe(409);
		await vi.waitFor(async () => expect(await sharedFlag(ev.eventId, "L1")).toMatchObject({ holders: ["B1"] }));

		// B1 gives the unit back: the location's flag goes with the cancel, so a fresh isolate sends
		// the next claim on, and it wins.
		expect((await cancel(b1, holdId)).status).toBe(200);
		expect(await sharedFlag(ev.eventId, "L1")).toBeNull();
		freshIsolate();
		const before = forwardedClaimsForTests();
		expect((await claim(b3, "L1")).status).toBe(201);
		expect(forwardedClaimsForTests()).toBe(before + 1);
	});

	it("never adopts a flag past its trust, nor one older than a free this isolate saw", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 2 });
		const b1 = await login(ev.eventId, "B1");
		const url = soldOutCacheUrl(ev.eventId, "L1");
		const put = (body: object) =>
			caches.default.put(url, new Response(JSON.stringify(body), { headers: { "cache-control": "max-age=60" } }));
		// Past its trust: ignored, the claim goes on (and wins: the unit was free all along).
		await put({ until: Date.now() - 1, holders: ["B9"], setAt: Date.now() - 6_000 });
		freshIsolate();
		const before = forwardedClaimsForTests();
		expect((await claim(b1, "L1")).status).toBe(201);
		expect(forwardedClaimsForTests()).toBe(before + 1);

		// Older than a free seen here: ignored too.
		const b2 = await login(ev.eventId, "B2");
		const setAt = Date.now();
		await caches.default.put(
			soldOutCacheUrl(ev.eventId, "L2"),
			new Response(JSON.stringify({ until: setAt + 60_000, holders: ["B9"], setAt }), {
				headers: { "cache-control": "max-age=60" },
			}),
		);
		freshIsolate();
		// A cancel through this isolate after the flag was recorded (as buyer-holds.ts does).
		clearSoldOut(ev.eventId, "L2", setAt + 1);
		expect((await claim(b2, "L2")).status).toBe(201);
	});

	it("asks the location at most once per unit per COLO_CHECK_MS while it has no flag", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 0 });
		freshIsolate();
		const before = coloLookupsForTests();
		const t = Date.now();
		expect(await learnSoldOutFromColo(ev.eventId, "L1", { now: t })).toBe(false);
		expect(await learnSoldOutFromColo(ev.eventId, "L1", { now: t + COLO_CHECK_MS - 1 })).toBe(false);
		expect(coloLookupsForTests()).toBe(before + 1);
		expect(await learnSoldOutFromColo(ev.eventId, "L1", { now: t + COLO_CHECK_MS })).toBe(false);
		expect(coloLookupsForTests()).toBe(before + 2);
	});
});
