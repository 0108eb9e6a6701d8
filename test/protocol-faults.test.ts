// The claim protocol when a request dies between the buyer's quota object and the inventory object
// (docs/PROTOCOL.md). Each test drives the real objects through the first steps of the flow exactly
// as worker/claim-flow.ts does, then "crashes" (stops calling), and checks that reconciliation leaves
// no buyer over the limit and no unit stranded.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { newNonce } from "../client/signing";
import { buyerQuotaOf, listingInventoryOf } from "../durable-objects/addresses";
import { CLAIM_TIMEOUT_MS, claimListing } from "../worker/claim/claim-flow";
import { ApiError } from "../worker/http/errors";
import { bearer, call, claim, errorCode, eventuallyOrders, type Login, login, seedEvent } from "./helpers";

function sessionIdOf(s: Login): string {
	const payload = s.sessionToken.split(".")[0] ?? "";
	const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
	return (JSON.parse(json) as { s: string }).s;
}

const attempt = (s: Login) => ({ sessionId: sessionIdOf(s), nonce: newNonce() });

const terms = (eventId: string, listingId: string) => ({
	eventId,
	listingId,
	stock: 1,
	priceCents: 300_000_000,
	holdSeconds: 900,
});

describe("a request dying between the two objects", () => {
	it("after reserving quota, before the inventory: the quota comes back, the hold id is fenced", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 2 });
		const b1 = await login(ev.eventId, "B1");
		const buyer = buyerQuotaOf(env, ev.eventId, "B1");
		const r = await buyer.reserve(attempt(b1), "L1", 1, 50);
		expect(r.kind).toBe("reserved");
		if (r.kind !== "reserved") return;
		// The crash: the claim never reaches L1. While the reservation is pending, the limit holds.
		expect(await errorCode(await claim(b1, "L2"))).toBe("limit_reached");

		// The buyer object's alarm fires when the 50 ms lease ends and reconciles: the quota comes back.
		await vi.waitFor(async () => expect((await claim(b1, "L2")).status).toBe(201), { timeout: 5_000 });
		// L1 was never taken.
		const b2 = await login(ev.eventId, "B2");
		expect((await claim(b2, "L1")).status).toBe(201);
		// The dead request's claim arriving late can never grant anything.
		const late = await listingInventoryOf(env, ev.eventId, "L1").claim(terms(ev.eventId, "L1"), r.holdId, "B1");
		expect(late.kind).toBe("fenced");
	});

	it("after the inventory granted, before settling: the hold is adopted, the buyer stays within the limit", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 1 });
		const b1 = await login(ev.eventId, "B1");
		const buyer = buyerQuotaOf(env, ev.eventId, "B1");
		const r = await buyer.reserve(attempt(b1), "L1", 1, 50);
		if (r.kind !== "reserved") throw new Error(`expected a reservation, got ${r.kind}`);
		const granted = await listingInventoryOf(env, ev.eventId, "L1").claim(terms(ev.eventId, "L1"), r.holdId, "B1");
		expect(granted.kind).toBe("granted");
		// The crash: settle never runs. The pending reservation still counts.
		expect(await errorCode(await claim(b1, "L2"))).toBe("limit_reached");

		// The alarm at the end of the lease reconciles: the hold is adopted, never dropped.
		await vi.waitFor(
			async () => {
				const holds = await call("/api/me/holds", { headers: bearer(b1) }).then((res) =>
					res.json<{ holds: { holdId: string; status: string }[] }>(),
				);
				expect(holds.holds).toMatchObject([{ holdId: r.holdId, status: "held" }]);
			},
			{ timeout: 5_000 },
		);
		expect(await errorCode(await claim(b1, "L2"))).toBe("limit_reached");
		// The grant reached D1 through the inventory's outbox, whatever happened to the request.
		await eventuallyOrders(ev.eventId, (rows) => expect(rows.map((o) => o.holdId)).toEqual([r.holdId]));
	});

	it("a reconciliation racing the late claim: exactly one of them wins, never both", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const b1 = await login(ev.eventId, "B1");
		const buyer = buyerQuotaOf(env, ev.eventId, "B1");
		const inventory = listingInventoryOf(env, ev.eventId, "L1");
		for (let round = 0; round < 5; round++) {
			const r = await buyer.reserve(attempt(b1), "L1", 1, 0);
			if (r.kind === "already_held") break;
			if (r.kind !== "reserved") throw new Error(r.kind);
			const [outcome] = await Promise.all([
				inventory.claim(terms(ev.eventId, "L1"), r.holdId, "B1"),
				buyer.reconcile(r.holdId),
			]);
			const snap = await inventory.snapshot();
			const held = snap.holds.filter((h) => h.status === "held");
			if (outcome.kind === "granted") {
				// Reconciliation must have adopted it, not dropped it.
				await vi.waitFor(
					async () => {
						const found = await buyer.findHold(attempt(b1), r.holdId);
						expect(found.kind === "found" ? found.hold.status : found.kind).toBe("held");
					},
					{ timeout: 5_000 },
				);
				expect(held).toHaveLength(1);
				return;
			}
			expect(outcome.kind).toBe("fenced");
			expect(held).toHaveLength(0);
		}
	});
});

describe("a saturated unit", () => {
	it("answers 503 overloaded instead of hanging, and gives the buyer's quota back at once", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 1 });
		const b1 = await login(ev.eventId, "B1");
		// The fault: the listing's object never answers (saturated). Everything else is real.
		const hung = {
			...env,
			LISTING_INVENTORY: { getByName: () => ({ claim: () => new Promise<never>(() => undefined) }) },
		} as unknown as Env;
		const background: Promise<unknown>[] = [];
		const started = Date.now();
		const failed = await claimListing(
			hung,
			{ waitUntil: (p) => background.push(p) },
			{
				terms: terms(ev.eventId, "L1"),
				buyerId: "B1",
				attempt: attempt(b1),
				perBuyerLimit: 1,
				leaseMs: 60_000,
			},
		).catch((e: unknown) => e);
		expect(failed).toBeInstanceOf(ApiError);
		expect(failed).toMatchObject({ code: "overloaded", status: 503 });
		expect(Date.now() - started).toBeGreaterThanOrEqual(CLAIM_TIMEOUT_MS);
		await Promise.all(background);
		// Reconciliation fenced the lost claim and freed the quota without waiting for the lease.
		expect((await claim(b1, "L2")).status).toBe(201);
	});
});
