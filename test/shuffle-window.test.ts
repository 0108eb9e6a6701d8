// docs/FAIRNESS.md "The shuffle window": in a race event with shuffleSeconds > 0, claims that reach a
// listing before startsAt + shuffleSeconds are served in ticket order, not arrival order. The schedule
// that would break it: buyers arrive in exactly the reverse of their ticket order (the first to arrive
// has the worst ticket) — the first arrival must not win; the buyer with the smallest ticket does; the
// published order is the one anyone recomputes from the revealed seed and beacon with their own
// SHA-256; the seed stays secret until the window ended; bad input is refused and changes nothing.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { findEvent } from "../db/events";
import { admin, call, claim, login, uniqueId } from "./helpers";

const SEED = "a3f1c2d4e5b6978812345678abcdef0123456789abcdef0123456789abcdef01";
const BEACON = "drand-quicknet-round-68959012";

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function windowEvent(opts: { shuffleSeconds: number; startsInMs: number; buyers: number }) {
	const eventId = uniqueId("sw");
	const now = Date.now();
	const fields = (startsAt: number) => ({
		name: "Shuffle window",
		startsAt: new Date(startsAt).toISOString(),
		endsAt: new Date(now + 7_200_000).toISOString(),
		shuffleSeconds: opts.shuffleSeconds,
		shuffleSeedHash: SEED_HASH,
	});
	// Catalogue and buyers first, while the opening is far (an event past its startsAt is locked);
	// then the real startsAt, whatever the imports took on a loaded machine.
	const SEED_HASH = await sha256Hex(SEED);
	expect((await admin("PUT", `/api/admin/events/${eventId}`, fields(now + 3_600_000))).status).toBe(200);
	const listing = { building: "1", floor: 1, unit: "01", layout: "x", areaM2: 90, priceCents: 100, stock: 1 };
	expect(
		(await admin("PUT", `/api/admin/events/${eventId}/listings`, { listings: [{ id: "L1", ...listing }] })).status,
	).toBe(200);
	const buyerIds = Array.from({ length: opts.buyers }, (_, i) => `B${i + 1}`);
	const br = await admin("PUT", `/api/admin/events/${eventId}/buyers`, {
		buyers: buyerIds.map((id) => ({ id, accessCode: `access${id}` })),
	});
	expect(br.status).toBe(200);
	const put = await admin("PUT", `/api/admin/events/${eventId}`, fields(Date.now() + opts.startsInMs));
	expect(put.status).toBe(200);
	return { eventId, buyerIds };
}

describe("the shuffle window", () => {
	it("arrival order decides nothing inside it: the smallest ticket wins, and anyone recomputes the order", {
		timeout: 60_000,
	}, async () => {
		// A window long enough for the logins below on a loaded machine: every claim must land in it.
		const { eventId, buyerIds } = await windowEvent({ shuffleSeconds: 12, startsInMs: 1_000, buyers: 6 });
		const prepared = await admin("POST", `/api/admin/events/${eventId}/prepare`, {
			shuffleSeed: SEED,
			shuffleBeacon: BEACON,
		});
		expect(prepared.status).toBe(200);
		const sessions = await Promise.all(buyerIds.map((b) => login(eventId, b)));
		expect((await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" })).status).toBe(200);
		// Tickets recomputed here, with this test's own SHA-256: the order the window must serve.
		const tickets = new Map(
			await Promise.all(buyerIds.map(async (b) => [b, await sha256Hex(`${SEED}\n${BEACON}\n${b}`)] as const)),
		);
		const byTicket = [...buyerIds].sort((a, b) => ((tickets.get(a) ?? "") < (tickets.get(b) ?? "") ? -1 : 1));
		const arrival = [...byTicket].reverse();
		// The seed is secret while the window runs.
		const during = await (await call(`/api/events/${eventId}/shuffle`)).json<{ shuffle: { seed: string | null } }>();
		expect(during.shuffle.seed).toBeNull();
		expect((await call(`/api/events/${eventId}/shuffle?listingId=L1`)).status).toBe(404);

		// Arrive in the reverse of ticket order, 150 ms apart: held until the window ends.
		const answers: Promise<Response>[] = [];
		for (const buyerId of arrival) {
			const s = sessions[buyerIds.indexOf(buyerId)];
			if (!s) throw new Error("session");
			answers.push(claim(s, "L1"));
			await new Promise((r) => setTimeout(r, 150));
		}
		const statuses = await Promise.all(answers.map((p) => p.then((r) => r.status)));
		const winner = arrival[statuses.indexOf(201)];
		expect(statuses.filter((x) => x === 201)).toHaveLength(1);
		expect(winner).toBe(byTicket[0]);
		expect(winner).not.toBe(arrival[0]);
		expect(statuses.filter((x) => x === 409)).toHaveLength(buyerIds.length - 1);

		const res = await call(`/api/events/${eventId}/shuffle?listingId=L1`);
		expect(res.status).toBe(200);
		const { shuffle } = await res.json<{
			shuffle: {
				seed: string;
				beacon: string;
				seedHash: string;
				listing: { claims: { rank: number; buyerId: string; ticket: string; arrivedAt: string; outcome: string }[] };
			};
		}>();
		expect(shuffle).toMatchObject({ seed: SEED, beacon: BEACON, seedHash: await sha256Hex(SEED) });
		const claims = shuffle.listing.claims;
		expect(claims.map((x) => x.buyerId)).toEqual(byTicket);
		expect(claims.map((x) => x.ticket)).toEqual(byTicket.map((b) => tickets.get(b)));
		expect(claims.map((x) => x.outcome)).toEqual(["granted", ...byTicket.slice(1).map(() => "sold_out")]);
		// They did arrive in the other order.
		const arrived = [...claims].sort((a, b) => Date.parse(a.arrivedAt) - Date.parse(b.arrivedAt));
		expect(arrived.map((x) => x.buyerId)).toEqual(arrival);

		// After the window, the ordinary path: answered at once.
		const again = sessions[buyerIds.indexOf(byTicket[1] ?? "")];
		if (!again) throw new Error("session");
		const late = await claim(again, "L1");
		expect(late.status).toBe(409);
	});

	it("bad input is refused and changes nothing", async () => {
		const { eventId } = await windowEvent({ shuffleSeconds: 2, startsInMs: 3_600_000, buyers: 1 });
		const event = await findEvent(env, eventId);
		const base = { name: "x", startsAt: event?.startsAt, endsAt: event?.endsAt };
		// A window without a commitment, too long a window, a window in a lottery event.
		for (const body of [
			{ ...base, shuffleSeconds: 2 },
			{ ...base, shuffleSeconds: 21, shuffleSeedHash: await sha256Hex(SEED) },
			{ ...base, shuffleSeconds: 2, shuffleSeedHash: await sha256Hex(SEED), mode: "lottery" },
		]) {
			expect((await admin("PUT", `/api/admin/events/${eventId}`, body)).status).toBe(400);
		}
		// Prepare without the seed, with a wrong one: 400, nothing frozen.
		expect((await admin("POST", `/api/admin/events/${eventId}/prepare`, {})).status).toBe(400);
		expect((await admin("POST", `/api/admin/events/${eventId}/prepare`, { shuffleSeed: "wrong" })).status).toBe(400);
		const after = await findEvent(env, eventId);
		expect(after?.termsFrozenAt).toBeNull();
		expect(after?.shuffleSeed).toBeNull();
		expect(after?.shuffleSeconds).toBe(2);
		// Once given, the seed cannot change; the same seed again is fine.
		expect((await admin("POST", `/api/admin/events/${eventId}/prepare`, { shuffleSeed: SEED })).status).toBe(200);
		expect(
			(await admin("POST", `/api/admin/events/${eventId}/prepare`, { shuffleSeed: SEED, shuffleBeacon: "other" }))
				.status,
		).toBe(400);
		expect((await admin("POST", `/api/admin/events/${eventId}/prepare`, {})).status).toBe(200);
		// Frozen now: the window can no longer change.
		const edit = await admin("PUT", `/api/admin/events/${eventId}`, {
			...base,
			shuffleSeconds: 5,
			shuffleSeedHash: await sha256Hex(SEED),
		});
		expect(edit.status).toBe(409);
	});
});
