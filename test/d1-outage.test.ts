// Guarantee 4 with D1 down for hours (finding b of issue 9). The orders queue gives up after about five
// minutes and its dead-letter consumer writes D1 too, so a long outage used to lose every order sent
// during it: the inventory had deleted its outbox row as soon as the queue took the message. Here the
// queue is the test's own (a capturing binding handed to the real inventory object), the consumers
// are the real functions given a D1 binding that fails, and hours pass by moving the outbox's
// next_attempt_at instead of sleeping. When D1 comes back, every granted hold must be there exactly
// once with its final status, and the outbox must empty itself.
import {
	createExecutionContext,
	createMessageBatch,
	getQueueResult,
	runDurableObjectAlarm,
	runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { listingInventoryOf } from "../durable-objects/addresses";
import type { ListingInventory } from "../durable-objects/listing-inventory";
import type { HoldRecord } from "../lib/hold-record";
import { consumeDeadLetters } from "../queue-consumers/dead-letters";
import { consumeOrders } from "../queue-consumers/orders";
import { d1Outage } from "./d1-fault";
import { capturingQueue, claim, login, orders, seedEvent, uniqueId } from "./helpers";

function batchOf<T>(queue: string, bodies: T[], attempts: number) {
	return createMessageBatch<T>(
		queue,
		bodies.map((body, i) => ({ id: uniqueId(`${queue}-${i}`), timestamp: new Date(), attempts, body })),
	);
}

/** The delays a batch's messages were retried with (getQueueResult does not report them). */
function retryDelays(batch: MessageBatch<unknown>): () => number[] {
	const spies = batch.messages.map((m) => vi.spyOn(m, "retry"));
	return () => spies.flatMap((spy) => spy.mock.calls.map(([options]) => options?.delaySeconds ?? 0));
}

async function outboxRows(inventory: DurableObjectStub<ListingInventory>) {
	return runInDurableObject(inventory, (_: ListingInventory, state) =>
		state.storage.sql
			.exec<{ body: string; next_attempt_at: number }>(
				"SELECT body, next_attempt_at FROM outbox WHERE target = 'orders'",
			)
			.toArray(),
	);
}

/** Time passes for the outbox: every row is due, and the object's alarm runs as it would. */
async function nextResend(inventory: DurableObjectStub<ListingInventory>): Promise<void> {
	await runInDurableObject(inventory, (_: ListingInventory, state) => {
		state.storage.sql.exec("UPDATE outbox SET next_attempt_at = 0");
	});
	await runInDurableObject(inventory, async (_: ListingInventory, state) => {
		// An alarm must be armed while anything is unacknowledged; fire it now rather than at its time.
		if ((await state.storage.getAlarm()) === null) throw new Error("outbox rows left without an alarm");
		await state.storage.setAlarm(Date.now());
	});
	await runDurableObjectAlarm(inventory);
}

describe("D1 down for hours (finding b)", () => {
	it("the inventory re-sends every version until D1 has it; nothing is lost, nothing doubled", async () => {
		const ev = await seedEvent({ listings: 3, buyers: 3 });
		const capture = capturingQueue<HoldRecord>();
		const inventories = ev.listingIds.map((l) => listingInventoryOf(env, ev.eventId, l));
		for (const inventory of inventories) {
			await inventory.snapshot();
			await runInDurableObject(inventory, (instance: ListingInventory) => {
				Object.assign(instance, { env: { ...env, ORDERS_QUEUE: capture.queue } });
			});
		}
		const holds: { holdId: string; listingId: string }[] = [];
		for (const [i, buyerId] of ev.buyerIds.entries()) {
			const res = await claim(await login(ev.eventId, buyerId), ev.listingIds[i] ?? "L1");
			expect(res.status).toBe(201);
			holds.push(await res.json<{ holdId: string; listingId: string }>());
		}
		// A second version of one hold, also during the outage.
		const released = holds[1];
		if (!released) throw new Error("no second hold");
		const inventoryOfReleased = listingInventoryOf(env, ev.eventId, released.listingId);
		expect((await inventoryOfReleased.release(released.holdId, "admin")).kind).toBe("ok");
		await vi.waitFor(() => expect(capture.sent).toHaveLength(4), { timeout: 5_000, interval: 20 });

		const d1 = d1Outage();
		const downEnv: Env = { ...env, DB: d1.binding };
		// Twelve rounds of the capped re-send interval: hours of outage.
		for (let round = 0; round < 12; round++) {
			const messages = capture.sent.splice(0);
			expect(messages.length, `round ${round} re-sends every unacknowledged version`).toBe(4);
			// The orders queue's last attempt fails…
			const orderBatch = batchOf("kaipan-orders", messages, 10);
			await consumeOrders(orderBatch, downEnv);
			expect((await getQueueResult(orderBatch, createExecutionContext())).retryMessages).toHaveLength(4);
			// …the dead-letter consumer cannot park them either, and must not acknowledge them…
			const deadBatch = batchOf("kaipan-orders-dlq", messages, 1);
			const delays = retryDelays(deadBatch);
			await consumeDeadLetters(deadBatch, downEnv);
			const dead = await getQueueResult(deadBatch, createExecutionContext());
			expect(dead.ackAll).toBe(false);
			expect(dead.explicitAcks).toEqual([]);
			expect(dead.retryMessages).toHaveLength(4);
			for (const delay of delays()) expect(delay).toBeGreaterThanOrEqual(60);
			// …and even if that queue dropped them in the end, the inventory still has every row.
			for (const inventory of inventories) await nextResend(inventory);
		}

		d1.down = false;
		const messages = capture.sent.splice(0);
		expect(messages).toHaveLength(4);
		const backBatch = batchOf("kaipan-orders", messages, 1);
		await consumeOrders(backBatch, env);
		expect((await getQueueResult(backBatch, createExecutionContext())).explicitAcks).toHaveLength(4);

		const rows = await orders(ev.eventId);
		expect(rows.map((r) => [r.holdId, r.status]).sort()).toEqual(
			holds.map((h) => [h.holdId, h.holdId === released.holdId ? "released" : "held"]).sort(),
		);
		// D1 acknowledged every version: the outbox is empty and nothing more is sent.
		for (const inventory of inventories) expect(await outboxRows(inventory)).toEqual([]);
		for (const inventory of inventories) await runDurableObjectAlarm(inventory);
		expect(capture.sent).toEqual([]);
	});

	it("a sent row waits minutes, backing off to a cap, before it is sent again", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const capture = capturingQueue<HoldRecord>();
		const inventory = listingInventoryOf(env, ev.eventId, "L1");
		await inventory.snapshot();
		await runInDurableObject(inventory, (instance: ListingInventory) => {
			Object.assign(instance, { env: { ...env, ORDERS_QUEUE: capture.queue } });
		});
		expect((await claim(await login(ev.eventId, "B1"), "L1")).status).toBe(201);
		// Sent, and marked sent (the flush marks it once all of its deliveries answered, the ledger's too).
		await vi.waitFor(
			async () => {
				expect(capture.sent).toHaveLength(1);
				expect((await outboxRows(inventory))[0]?.next_attempt_at ?? 0).toBeGreaterThan(Date.now());
			},
			{ timeout: 5_000, interval: 20 },
		);
		const waits: number[] = [];
		for (let i = 0; i < 8; i++) {
			const [row] = await outboxRows(inventory);
			if (!row) throw new Error("the sent row was deleted before D1 acknowledged it");
			waits.push(row.next_attempt_at - Date.now());
			await nextResend(inventory);
		}
		expect(waits[0]).toBeGreaterThanOrEqual(60_000);
		for (let i = 1; i < waits.length; i++) expect(waits[i] ?? 0).toBeGreaterThanOrEqual((waits[i - 1] ?? 0) - 1_000);
		expect(Math.max(...waits)).toBeLessThanOrEqual(60 * 60_000);
		expect(capture.sent).toHaveLength(9);
	});
});

describe("the dead-letter consumer while D1 is down", () => {
	it("retries the messages with a long delay instead of acknowledging or throwing", async () => {
		const d1 = d1Outage();
		const batch = batchOf("kaipan-notifications-dlq", [{ kind: "granted", holdId: uniqueId("h") }], 3);
		const delays = retryDelays(batch);
		await consumeDeadLetters(batch, { ...env, DB: d1.binding });
		const result = await getQueueResult(batch, createExecutionContext());
		expect(result.ackAll).toBe(false);
		expect(result.explicitAcks).toEqual([]);
		expect(result.retryMessages).toHaveLength(1);
		expect(delays()).toEqual([240]);
	});
});
