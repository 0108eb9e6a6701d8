// Lottery-ordered events (API.md v1.1 "Lottery-ordered events", guarantee 8): the event fields, the
// commit and reveal (once each, even when sent concurrently), the frozen buyer list, the public draw
// checked by scripts/verify-draw.mts's own code, draw_pending, entry in batches at the edge and at the
// buyer object, batch boundaries to the millisecond, and /api/me/turn.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { dbOf, schema } from "../db/client";
import { buyerQuotaOf } from "../durable-objects/addresses";
import { buyersHash, drawOrder, seedHashOf } from "../lib/draw";
import { verifyDraw } from "../scripts/verify-draw.mjs";
import { invalidateEvent } from "../worker/hot-reads/catalogue";
import type { DrawView } from "../worker/lottery/draw-view";
import {
	admin,
	bearer,
	call,
	claim,
	errorCode,
	login,
	purchaseToken,
	seedEvent,
	sessionIdOf,
	uniqueId,
} from "./helpers";

const SEED = "notary seed 2026-11-25 公证处";
const BEACON = "drand round 4242";

interface LotteryOptions {
	buyers?: number;
	batchSize?: number;
	batchSeconds?: number;
	listings?: number;
	mode?: "race" | "lottery";
	startsInMs?: number;
}

function eventBody(eventId: string, o: LotteryOptions = {}, extra: Record<string, unknown> = {}) {
	const now = Date.now();
	return {
		name: `Lottery ${eventId}`,
		startsAt: new Date(now + (o.startsInMs ?? 3_600_000)).toISOString(),
		endsAt: new Date(now + 7_200_000).toISOString(),
		mode: o.mode ?? "lottery",
		batchSize: o.batchSize ?? 2,
		batchSeconds: o.batchSeconds ?? 60,
		...extra,
	};
}

async function lotteryEvent(o: LotteryOptions = {}) {
	const eventId = uniqueId("lot");
	return seedEvent({
		eventId,
		event: eventBody(eventId, o),
		listings: o.listings ?? 4,
		buyers: o.buyers ?? 5,
		priceCents: () => 100_00,
		phone: null,
		open: false,
	});
}

const commit = (eventId: string, seedHash: string) =>
	admin("POST", `/api/admin/events/${eventId}/draw/commit`, { seedHash });
const reveal = (eventId: string, seed: string, beacon?: string) =>
	admin("POST", `/api/admin/events/${eventId}/draw/reveal`, { seed, ...(beacon === undefined ? {} : { beacon }) });
const publicDraw = async (eventId: string) => (await call(`/api/events/${eventId}/draw`)).json<{ draw: DrawView }>();

/** A lottery event committed, revealed and opened by the operator: its order. */
async function drawnAndOpen(o: LotteryOptions = {}) {
	const ev = await lotteryEvent(o);
	expect((await commit(ev.eventId, await seedHashOf(SEED))).status).toBe(200);
	expect((await reveal(ev.eventId, SEED, BEACON)).status).toBe(200);
	expect((await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "open" })).status).toBe(200);
	const order = (await publicDraw(ev.eventId)).draw.order ?? [];
	return { ...ev, order };
}

/**
 * Moves the event's opening so that the buyer at `position` enters at `entryAtMs` exactly (the
 * operator's opening moment, written to D1 as the status route would), and drops this isolate's copy.
 */
async function openAt(eventId: string, openedAtMs: number) {
	const e = schema.events;
	await dbOf(env)
		.update(e)
		.set({ openedAt: new Date(openedAtMs).toISOString(), statusMode: "open" })
		.where(eq(e.id, eventId));
	await invalidateEvent(eventId);
}

afterEach(() => {
	vi.useRealTimers();
});

describe("event fields: mode, batchSize, batchSeconds", () => {
	it("default to race, 10 and 300, and appear in both event reads", async () => {
		const eventId = uniqueId("lot");
		const { mode: _m, batchSize: _s, batchSeconds: _b, ...race } = eventBody(eventId);
		const put = await admin("PUT", `/api/admin/events/${eventId}`, race);
		expect(put.status).toBe(200);
		const adminRead = await (await admin("GET", `/api/admin/events/${eventId}`)).json<{ event: object }>();
		expect(adminRead.event).toMatchObject({ mode: "race", batchSize: 10, batchSeconds: 300, drawStatus: "none" });
		const publicRead = await (await call(`/api/events/${eventId}`)).json<{ event: object }>();
		expect(publicRead.event).toMatchObject({ mode: "race", batchSize: 10, batchSeconds: 300 });
	});

	it("accepts a lottery event and refuses out-of-range batches, naming the field", async () => {
		const ev = await lotteryEvent({ batchSize: 7, batchSeconds: 45 });
		const publicRead = await (await call(`/api/events/${ev.eventId}`)).json<{ event: object }>();
		expect(publicRead.event).toMatchObject({ mode: "lottery", batchSize: 7, batchSeconds: 45 });
		for (const [field, value] of [
			["batchSize", 0],
			["batchSize", 1_001],
			["batchSeconds", 9],
			["batchSeconds", 86_401],
			["mode", "raffle"],
		] as const) {
			const res = await admin("PUT", `/api/admin/events/${ev.eventId}`, { ...ev.body, [field]: value });
			expect(res.status).toBe(400);
			expect(JSON.stringify(await res.json())).toContain(field);
		}
	});
});

describe("commit", () => {
	it("freezes the buyer list (new and re-sent buyers alike), the mode and the batches", async () => {
		const ev = await lotteryEvent();
		const seedHash = await seedHashOf(SEED);
		const res = await commit(ev.eventId, seedHash);
		expect(res.status).toBe(200);
		const { draw } = await res.json<{ draw: DrawView }>();
		expect(draw).toMatchObject({
			status: "committed",
			seedHash,
			buyersHash: await buyersHash(ev.buyerIds),
			buyerCount: ev.buyerIds.length,
			seed: null,
			beacon: null,
			drawnAt: null,
			order: null,
		});
		expect(Date.parse(draw.committedAt ?? "")).toBeGreaterThan(0);
		// Buyers: a new one, and an existing one re-sent, are both refused.
		for (const buyers of [[{ id: "B99", accessCode: "accessB99" }], [{ id: "B1" }]]) {
			const put = await admin("PUT", `/api/admin/events/${ev.eventId}/buyers`, { buyers });
			expect(put.status).toBe(409);
			expect(await errorCode(put)).toBe("event_locked");
		}
		expect((await publicDraw(ev.eventId)).draw.buyerCount).toBe(ev.buyerIds.length);
		// The batches and the mode are locked with the commitment; other fields may still change.
		for (const change of [{ batchSize: 3 }, { batchSeconds: 61 }, { mode: "race" }]) {
			const put = await admin("PUT", `/api/admin/events/${ev.eventId}`, { ...ev.body, ...change });
			expect(put.status).toBe(409);
			expect(await errorCode(put)).toBe("event_locked");
		}
		expect((await admin("PUT", `/api/admin/events/${ev.eventId}`, { ...ev.body, name: "Renamed" })).status).toBe(200);
	});

	it("is made once: of concurrent commits exactly one lands, a later one is event_locked", async () => {
		const ev = await lotteryEvent();
		const hashes = await Promise.all(["a", "b", "c", "d"].map((s) => seedHashOf(`${SEED}-${s}`)));
		const answers = await Promise.all(hashes.map((h) => commit(ev.eventId, h)));
		const statuses = answers.map((r) => r.status).sort();
		expect(statuses).toEqual([200, 409, 409, 409]);
		const winner = hashes[answers.findIndex((r) => r.status === 200)];
		expect((await publicDraw(ev.eventId)).draw.seedHash).toBe(winner);
		const again = await commit(ev.eventId, await seedHashOf(SEED));
		expect(again.status).toBe(409);
		expect(await errorCode(again)).toBe("event_locked");
	});

	it("is refused for a race event, after the opening and for a malformed hash", async () => {
		const race = await lotteryEvent({ mode: "race" });
		const r = await commit(race.eventId, await seedHashOf(SEED));
		expect(r.status).toBe(409);
		expect(await errorCode(r)).toBe("event_locked");
		const past = await lotteryEvent({ startsInMs: -60_000 });
		const p = await commit(past.eventId, await seedHashOf(SEED));
		expect(p.status).toBe(409);
		const upper = await commit(past.eventId, (await seedHashOf(SEED)).toUpperCase());
		expect(upper.status).toBe(400);
		expect(JSON.stringify(await upper.json())).toContain("seedHash");
	});
});

describe("reveal", () => {
	it("refuses a seed that does not hash to the commitment, naming seed, and changes nothing", async () => {
		const ev = await lotteryEvent();
		const early = await reveal(ev.eventId, SEED);
		expect(early.status).toBe(409);
		expect(await errorCode(early)).toBe("event_locked");
		await commit(ev.eventId, await seedHashOf(SEED));
		const wrong = await reveal(ev.eventId, `${SEED}!`);
		expect(wrong.status).toBe(400);
		const body = await wrong.json<{ error: { code: string; field?: string } }>();
		expect(body.error.code).toBe("invalid_request");
		expect(body.error.field).toBe("seed");
		expect((await publicDraw(ev.eventId)).draw.status).toBe("committed");
	});

	it("publishes the order the algorithm gives, verified by an independent implementation", async () => {
		const ev = await lotteryEvent({ buyers: 25 });
		const seedHash = await seedHashOf(SEED);
		await commit(ev.eventId, seedHash);
		const res = await reveal(ev.eventId, SEED, BEACON);
		expect(res.status).toBe(200);
		const { draw } = await res.json<{ draw: DrawView }>();
		expect(draw.status).toBe("drawn");
		expect(draw.seed).toBe(SEED);
		expect(draw.beacon).toBe(BEACON);
		expect(draw.order).toEqual(await drawOrder(SEED, BEACON, ev.buyerIds));
		const published = await publicDraw(ev.eventId);
		expect(published.draw).toEqual(draw);
		// scripts/verify-draw.mts: Node's crypto and API.md's words, none of lib/draw.ts.
		const verification = verifyDraw(published, { seedHash, buyersHash: await buyersHash(ev.buyerIds), beacon: BEACON });
		expect(verification.checks.filter((c) => !c.ok)).toEqual([]);
		expect(verification.outcome).toBe("verified");
		// A tampered copy fails the same check.
		const swapped = [...(draw.order ?? [])];
		[swapped[0], swapped[1]] = [swapped[1] as string, swapped[0] as string];
		expect(verifyDraw({ draw: { ...draw, order: swapped } }).outcome).toBe("failed");
	});

	it("records the commit and the reveal in the event's ledger, under the operator who made them", async () => {
		const ev = await lotteryEvent();
		const seedHash = await seedHashOf(SEED);
		await commit(ev.eventId, seedHash);
		await commit(ev.eventId, seedHash); // refused (409): a refusal records nothing
		await reveal(ev.eventId, SEED, BEACON);
		const { draw } = await publicDraw(ev.eventId);
		const page = await (await admin("GET", `/api/admin/events/${ev.eventId}/ledger?limit=1000`)).json<{
			entries: { kind: string; actor: string; data: Record<string, unknown> }[];
		}>();
		const drawEntries = page.entries.filter((e) => e.kind.startsWith("draw_"));
		expect(drawEntries.map((e) => [e.kind, e.actor])).toEqual([
			["draw_committed", "admin"],
			["draw_revealed", "admin"],
		]);
		expect(drawEntries[0]?.data).toMatchObject({ seedHash, buyersHash: draw.buyersHash, buyerCount: 5 });
		expect(drawEntries[1]?.data).toMatchObject({ seed: SEED, beacon: BEACON, drawnAt: draw.drawnAt });
	});

	it("is made once: of concurrent reveals exactly one lands", async () => {
		const ev = await lotteryEvent();
		await commit(ev.eventId, await seedHashOf(SEED));
		const answers = await Promise.all(["x", "y", "z"].map((beacon) => reveal(ev.eventId, SEED, beacon)));
		expect(answers.map((r) => r.status).sort()).toEqual([200, 409, 409]);
		const { draw } = await publicDraw(ev.eventId);
		expect(draw.order).toEqual(await drawOrder(SEED, draw.beacon, ev.buyerIds));
		expect((await reveal(ev.eventId, SEED)).status).toBe(409);
	});
});

describe("opening a lottery event", () => {
	it("cannot open before the reveal (draw_pending), and opens after; openedAt is the operator's moment", async () => {
		const ev = await lotteryEvent();
		const open = () => admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "open" });
		const early = await open();
		expect(early.status).toBe(409);
		expect(await errorCode(early)).toBe("draw_pending");
		await commit(ev.eventId, await seedHashOf(SEED));
		expect(await errorCode(await open())).toBe("draw_pending");
		await reveal(ev.eventId, SEED);
		const before = Date.now();
		const opened = await open();
		expect(opened.status).toBe(200);
		const { event } = await opened.json<{ event: { status: string; openedAt: string } }>();
		expect(event.status).toBe("open");
		expect(Date.parse(event.openedAt)).toBeGreaterThanOrEqual(before - 5);
	});

	it("under auto stays scheduled past startsAt until drawn (claims: event_not_open)", async () => {
		const ev = await lotteryEvent({ startsInMs: -60_000 });
		const read = await (await call(`/api/events/${ev.eventId}`)).json<{ event: { status: string } }>();
		expect(read.event.status).toBe("scheduled");
		const b1 = await login(ev.eventId, "B1");
		const res = await claim(b1, "L1");
		expect(res.status).toBe(423);
		expect(await errorCode(res)).toBe("event_not_open");
		const token = await purchaseToken(b1);
		expect(token.status).toBe(423);
		const turn = await (await call("/api/me/turn", { headers: bearer(b1) })).json();
		expect(turn).toEqual({ mode: "lottery", position: null, batch: null, entryAt: null });
	});

	it("under auto, drawn after startsAt, opens at the reveal: entry times count from it", async () => {
		const ev = await lotteryEvent({ batchSize: 1, batchSeconds: 20 });
		await commit(ev.eventId, await seedHashOf(SEED));
		// Postponing or advancing startsAt is still allowed after the commit (only mode and batches lock).
		const started = { ...ev.body, startsAt: new Date(Date.now() - 60_000).toISOString() };
		expect((await admin("PUT", `/api/admin/events/${ev.eventId}`, started)).status).toBe(200);
		const status = async () =>
			(await (await call(`/api/events/${ev.eventId}`)).json<{ event: { status: string } }>()).event.status;
		expect(await status()).toBe("scheduled");
		const { draw } = await (await reveal(ev.eventId, SEED)).json<{ draw: DrawView }>();
		expect(await status()).toBe("open");
		const second = await login(ev.eventId, draw.order?.[1] as string);
		const turn = await (await call("/api/me/turn", { headers: bearer(second) })).json();
		expect(turn).toEqual({
			mode: "lottery",
			position: 1,
			batch: 1,
			entryAt: new Date(Date.parse(draw.drawnAt ?? "") + 20_000).toISOString(),
		});
	});
});

describe("entry in batches (guarantee 8)", () => {
	it("a buyer of a later batch gets not_your_turn with entryAt; the first batch claims", async () => {
		const ev = await drawnAndOpen({ buyers: 5, batchSize: 2, batchSeconds: 60 });
		const { event } = await (await admin("GET", `/api/admin/events/${ev.eventId}`)).json<{
			event: { openedAt: string };
		}>();
		const openedAt = Date.parse(event.openedAt);
		const first = await login(ev.eventId, ev.order[0] as string);
		expect((await claim(first, "L1")).status).toBe(201);
		const third = await login(ev.eventId, ev.order[2] as string); // position 2: batch 1
		const expected = new Date(openedAt + 60_000).toISOString();
		for (const res of [await purchaseToken(third), await claim(third, "L2")]) {
			expect(res.status).toBe(423);
			const body = await res.json<{ entryAt: string; error: { code: string } }>();
			expect(body.error.code).toBe("not_your_turn");
			expect(body.entryAt).toBe(expected);
		}
	});

	it("at the boundary: 1 ms before entryAt refused (all of a concurrent burst), 1 ms after served", async () => {
		const ev = await drawnAndOpen({ buyers: 3, batchSize: 1, batchSeconds: 10 });
		const buyer = await login(ev.eventId, ev.order[1] as string); // position 1: batch 1
		// The opening moves so that this buyer's entryAt is now; the clock of this isolate (the worker's
		// and its objects') is then set around it: no sleeping for a batch.
		const entryAt = Date.now();
		await openAt(ev.eventId, entryAt - 10_000);
		vi.useFakeTimers({ toFake: ["Date"] });
		vi.setSystemTime(entryAt - 1);
		const burst = await Promise.all(["L1", "L2", "L3"].map((l) => claim(buyer, l)));
		for (const res of burst) {
			expect(res.status).toBe(423);
			const body = await res.json<{ entryAt: string }>();
			expect(body.entryAt).toBe(new Date(entryAt).toISOString());
		}
		expect((await purchaseToken(buyer)).status).toBe(423);
		vi.setSystemTime(entryAt + 1);
		expect((await purchaseToken(buyer)).status).toBe(200);
		expect((await claim(buyer, "L1")).status).toBe(201);
	});

	it("the buyer object refuses a claim before notBefore by its own clock (not only the edge)", async () => {
		const ev = await drawnAndOpen({ buyers: 2, batchSize: 1 });
		const buyerId = ev.order[1] as string;
		const session = await login(ev.eventId, buyerId);
		const quota = buyerQuotaOf(env, ev.eventId, buyerId);
		const attempt = (nonce: string) => ({ sessionId: sessionIdOf(session), nonce, claimsPer10s: 100 });
		const early = await quota.claim(attempt("n1"), "L1", { leaseMs: 10_000, notBefore: Date.now() + 60_000 });
		expect(early).toMatchObject({ kind: "not_your_turn" });
		const late = await quota.claim(attempt("n2"), "L1", { leaseMs: 10_000, notBefore: Date.now() - 1 });
		expect(late).toMatchObject({ kind: "held" });
	});
});

describe("GET /api/me/turn", () => {
	it("gives position, batch (0-based) and entryAt in a lottery event; nulls in a race", async () => {
		const ev = await drawnAndOpen({ buyers: 5, batchSize: 2, batchSeconds: 30 });
		const { event } = await (await admin("GET", `/api/admin/events/${ev.eventId}`)).json<{
			event: { openedAt: string };
		}>();
		for (const [position, buyerId] of ev.order.entries()) {
			const session = await login(ev.eventId, buyerId);
			const res = await call("/api/me/turn", { headers: bearer(session) });
			expect(res.status).toBe(200);
			const batch = Math.floor(position / 2);
			expect(await res.json()).toEqual({
				mode: "lottery",
				position,
				batch,
				entryAt: new Date(Date.parse(event.openedAt) + batch * 30_000).toISOString(),
			});
		}
		const race = await lotteryEvent({ mode: "race" });
		const b1 = await login(race.eventId, "B1");
		const turn = await (await call("/api/me/turn", { headers: bearer(b1) })).json();
		expect(turn).toEqual({ mode: "race", position: null, batch: null, entryAt: race.body.startsAt });
		expect((await call("/api/me/turn")).status).toBe(401);
	});
});
