// Guarantee 4 at the consumer: duplicates and reordering never change D1 twice, failures retry.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { NotificationMessage } from "../lib/hold-record";
import { consumeOrders } from "../queue-consumers/orders";
import worker from "../worker/index";
import { admin, capturingQueue, holdRecord, uniqueId } from "./helpers";

async function deliver(bodies: unknown[]) {
	const batch = createMessageBatch(
		"kaipan-orders",
		bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
	);
	const ctx = createExecutionContext();
	await worker.queue(batch, env);
	return getQueueResult(batch, ctx);
}

async function orderRows(holdId: string) {
	const { results } = await env.DB.prepare("SELECT status, version FROM orders WHERE hold_id = ?").bind(holdId).all();
	return results;
}

describe("orders consumer", () => {
	it("the same message delivered twice makes one row", async () => {
		const h = holdRecord();
		await deliver([h, h]);
		await deliver([h]);
		expect(await orderRows(h.holdId)).toEqual([{ status: "held", version: 1 }]);
	});

	it("an older version arriving after a newer one changes nothing", async () => {
		const h = holdRecord();
		const expired = { ...h, status: "expired" as const, expiresAt: null, version: 2, updatedAt: h.updatedAt + 1 };
		await deliver([expired]);
		await deliver([h]);
		expect(await orderRows(h.holdId)).toEqual([{ status: "expired", version: 2 }]);
	});

	it("a message D1 refuses is retried while the rest of its batch is acknowledged", async () => {
		const good = holdRecord();
		const poison = { ...holdRecord(), listingId: null };
		const result = await deliver([good, poison]);
		expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m1"]);
		expect(result.explicitAcks).toEqual(["m0"]);
		expect(await orderRows(good.holdId)).toHaveLength(1);
	});

	it("a granted hold produces one notification row however often it is delivered", async () => {
		const eventId = uniqueId("ev");
		const now = Date.now();
		await admin("PUT", `/api/admin/events/${eventId}`, {
			name: "n",
			startsAt: new Date(now + 60_000).toISOString(),
			endsAt: new Date(now + 120_000).toISOString(),
		});
		await admin("PUT", `/api/admin/events/${eventId}/buyers`, { buyers: [{ id: "B1", phone: "+8613900000000" }] });
		const h = holdRecord({ eventId });
		await deliver([h]);
		await deliver([h]);
		await vi.waitFor(
			async () => {
				const { results } = await env.DB.prepare("SELECT kind, phone, body FROM notifications WHERE hold_id = ?")
					.bind(h.holdId)
					.all<{ kind: string; phone: string; body: string }>();
				expect(results).toHaveLength(1);
				expect(results[0]).toMatchObject({ kind: "granted", phone: "+8613900000000" });
				expect(results[0]?.body).toContain("L1");
			},
			{ timeout: 10_000, interval: 100 },
		);
	});

	it("a stale held arriving after expired enqueues no granted notice (finding f)", async () => {
		const h = holdRecord({ expiresAt: Date.now() + 60_000 });
		const expired = { ...h, status: "expired" as const, expiresAt: null, version: 2, updatedAt: h.updatedAt + 1 };
		const { queue: capture, sent: notices } = capturingQueue<NotificationMessage>();
		const e: Env = { ...env, NOTIFICATIONS_QUEUE: capture };
		for (const body of [expired, h, h]) {
			const batch = createMessageBatch("kaipan-orders", [
				{ id: uniqueId("m"), timestamp: new Date(), attempts: 1, body },
			]);
			await consumeOrders(batch, e);
			expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toHaveLength(1);
		}
		expect(notices.map((n) => n.kind)).toEqual(["expired"]);
		expect(await orderRows(h.holdId)).toEqual([{ status: "expired", version: 2 }]);
	});

	it("a notice whose enqueue failed is sent on redelivery, although D1 already had the row", async () => {
		const h = holdRecord();
		const notices: NotificationMessage[] = [];
		let fail = true;
		const flaky = {
			sendBatch: async (messages: Iterable<MessageSendRequest<NotificationMessage>>) => {
				if (fail) throw new Error("queue unavailable");
				for (const m of messages) notices.push(m.body);
			},
		} as unknown as Queue;
		const e: Env = { ...env, NOTIFICATIONS_QUEUE: flaky };
		const first = createMessageBatch("kaipan-orders", [{ id: "a", timestamp: new Date(), attempts: 1, body: h }]);
		await consumeOrders(first, e);
		expect((await getQueueResult(first, createExecutionContext())).retryMessages).toHaveLength(1);
		fail = false;
		const again = createMessageBatch("kaipan-orders", [{ id: "a", timestamp: new Date(), attempts: 2, body: h }]);
		await consumeOrders(again, e);
		expect(notices.map((n) => [n.kind, n.holdId])).toEqual([["granted", h.holdId]]);
	});
});
