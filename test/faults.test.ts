// The guarantees under faults: objects evicted mid-crowd, a failing queue send, consumers that throw
// or die between the D1 write and the ack, D1 down for a while, and dead letters replayed. Faults are
// injected into the real runtime (eviction, a failing binding handed to the real code), never by
// replacing the code under test.
import {
	createExecutionContext,
	createMessageBatch,
	evictDurableObject,
	getQueueResult,
	runDurableObjectAlarm,
	runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { listingInventoryOf } from "../durable-objects/addresses";
import type { ListingInventory } from "../durable-objects/listing-inventory";
import { consumeOrders } from "../queue-consumers/orders";
import worker from "../worker/index";
import {
	admin,
	claim,
	errorCode,
	eventuallyOrders,
	holdRecord,
	type Login,
	login,
	seedEvent,
	uniqueId,
} from "./helpers";

async function loginAll(eventId: string, buyerIds: string[]): Promise<Login[]> {
	const out: Login[] = [];
	for (let i = 0; i < buyerIds.length; i += 50) {
		out.push(...(await Promise.all(buyerIds.slice(i, i + 50).map((b) => login(eventId, b)))));
	}
	return out;
}

function batchOf<T>(queue: string, bodies: T[], attempts = 1) {
	return createMessageBatch<T>(
		queue,
		bodies.map((body, i) => ({ id: `${queue}-${uniqueId("m")}-${i}`, timestamp: new Date(), attempts, body })),
	);
}

async function orderRow(holdId: string) {
	return env.DB.prepare("SELECT status, version FROM orders WHERE hold_id = ?").bind(holdId).all();
}

/** D1 that fails the first `failures` calls: an outage that ends. */
function flakyD1(failures: number): D1Database {
	let left = failures;
	const fail = () => {
		if (left > 0) {
			left -= 1;
			throw new Error("D1_ERROR: simulated outage");
		}
	};
	return new Proxy(env.DB, {
		get(target, prop) {
			if (prop === "batch") {
				return async (statements: D1PreparedStatement[]) => {
					fail();
					return target.batch(statements);
				};
			}
			if (prop === "prepare") {
				return (query: string) => {
					const stmt = target.prepare(query);
					return new Proxy(stmt, {
						get(s, p) {
							const value = Reflect.get(s, p, s) as unknown;
							if (typeof value !== "function") return value;
							if (p === "bind") {
								return (...args: unknown[]) => {
									const bound = s.bind(...args);
									return new Proxy(bound, {
										get(b, q) {
											const v = Reflect.get(b, q, b) as unknown;
											if (typeof v !== "function") return v;
											return (...a: unknown[]) => {
												if (["all", "run", "raw", "first"].includes(String(q))) fail();
												return (v as (...x: unknown[]) => unknown).apply(b, a);
											};
										},
									});
								};
							}
							return (...a: unknown[]) => (value as (...x: unknown[]) => unknown).apply(s, a);
						},
					});
				};
			}
			const value = Reflect.get(target, prop, target) as unknown;
			return typeof value === "function" ? (value as (...x: unknown[]) => unknown).bind(target) : value;
		},
	});
}

describe("inventory objects evicted mid-crowd", () => {
	it("60 buyers chasing 20 units while their objects are evicted: every unit sold once, nobody over the limit", async () => {
		const ev = await seedEvent({ listings: 20, buyers: 60 });
		const sessions = await loginAll(ev.eventId, ev.buyerIds);
		// Every fourth buyer evicts the object it just claimed from, while the rest of the crowd's
		// claims on it are still in flight.
		let evicted = 0;
		const evict = async (listingId: string) => {
			await evictDurableObject(listingInventoryOf(env, ev.eventId, listingId)).then(
				() => (evicted += 1),
				() => undefined, // not running at this instant: nothing to evict
			);
		};
		const granted: { holdId: string; listingId: string; buyerId: string }[] = [];
		const codes: Record<string, number> = {};
		await Promise.all(
			sessions.map(async (s, i) => {
				// Each buyer walks the catalogue once; a 429 or 503 is retried after Retry-After, as a client does.
				for (let k = 0; k < ev.listingIds.length; k++) {
					const listingId = ev.listingIds[(i * 3 + k) % ev.listingIds.length] ?? "L1";
					let res = await claim(s, listingId);
					if (i % 4 === 0) await evict(listingId);
					while (res.status === 429 || res.status === 503) {
						const code = await errorCode(res);
						codes[code] = (codes[code] ?? 0) + 1;
						await new Promise((r) => setTimeout(r, Number(res.headers.get("retry-after") ?? 1) * 1000));
						res = await claim(s, listingId);
					}
					if (res.status === 201) {
						granted.push({ ...(await res.json<{ holdId: string; listingId: string }>()), buyerId: s.buyerId });
						return;
					}
					expect(await errorCode(res)).toBe("sold_out");
				}
			}),
		);
		expect(evicted).toBeGreaterThan(0);
		expect(granted).toHaveLength(20);
		expect(new Set(granted.map((g) => g.listingId)).size).toBe(20);
		expect(new Set(granted.map((g) => g.buyerId)).size).toBe(20);
		for (const listingId of ev.listingIds) {
			const snap = await listingInventoryOf(env, ev.eventId, listingId).snapshot();
			expect(snap.holds.filter((h) => h.status === "held")).toHaveLength(1);
		}
		const rows = await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(20));
		expect(rows.map((r) => r.holdId).sort()).toEqual(granted.map((g) => g.holdId).sort());
	});
});

describe("a failing queue send", () => {
	it("keeps the grant in the outbox and the alarm re-sends it until D1 has it", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const s = await login(ev.eventId, "B1");
		const inventory = listingInventoryOf(env, ev.eventId, "L1");
		// The first claim creates the object; break its queue binding before the grant.
		await inventory.snapshot();
		await runInDurableObject(inventory, (instance: ListingInventory) => {
			const broken: Queue = {
				send: () => Promise.reject(new Error("queue unavailable")),
				sendBatch: () => Promise.reject(new Error("queue unavailable")),
			} as unknown as Queue;
			Object.assign(instance, { env: { ...env, ORDERS_QUEUE: broken } });
		});
		const res = await claim(s, "L1");
		expect(res.status).toBe(201);
		const { holdId } = await res.json<{ holdId: string }>();
		const pending = await runInDurableObject(inventory, (_: ListingInventory, state) =>
			state.storage.sql.exec("SELECT count(*) AS n FROM outbox WHERE target = 'orders'").one(),
		);
		expect(pending.n).toBe(1);
		// The queue comes back (the object restarts with its real bindings); the alarm re-sends.
		await evictDurableObject(inventory);
		expect(await runDurableObjectAlarm(inventory)).toBe(true);
		await eventuallyOrders(ev.eventId, (rows) => expect(rows.map((r) => r.holdId)).toEqual([holdId]));
		// Every row done: the orders row once D1 acknowledged it, the ledger row once the ledger queue's
		// consumer reported it appended (docs/LEDGER.md: a second or so).
		await vi.waitFor(
			async () => {
				const left = await runInDurableObject(inventory, (_: ListingInventory, state) =>
					state.storage.sql.exec("SELECT count(*) AS n FROM outbox").one(),
				);
				expect(left.n).toBe(0);
			},
			{ timeout: 10_000 },
		);
	});
});

describe("orders consumer faults", () => {
	it("D1 down for a while: the whole batch is retried, and lands once D1 is back", async () => {
		const bodies = [holdRecord(), holdRecord(), holdRecord()];
		const down = batchOf("kaipan-orders", bodies);
		const ctx = createExecutionContext();
		// Enough failures to fail the batch write and every single write after it.
		await consumeOrders(down, { ...env, DB: flakyD1(4) });
		const result = await getQueueResult(down, ctx);
		expect(result.retryMessages).toHaveLength(3);
		expect(result.explicitAcks).toEqual([]);
		for (const b of bodies) expect((await orderRow(b.holdId)).results).toEqual([]);

		const again = batchOf("kaipan-orders", bodies, 2);
		await consumeOrders(again, env);
		expect((await getQueueResult(again, createExecutionContext())).explicitAcks).toHaveLength(3);
		for (const b of bodies) expect((await orderRow(b.holdId)).results).toEqual([{ status: "held", version: 1 }]);
	});

	it("a consumer that dies after writing D1 but before acking: redelivery adds nothing", async () => {
		const h = holdRecord();
		const first = batchOf("kaipan-orders", [h]);
		const failingNotices = {
			send: () => Promise.reject(new Error("crash")),
			sendBatch: () => Promise.reject(new Error("crash")),
		} as unknown as Queue;
		await consumeOrders(first, { ...env, NOTIFICATIONS_QUEUE: failingNotices });
		const r1 = await getQueueResult(first, createExecutionContext());
		expect(r1.retryMessages).toHaveLength(1);
		expect((await orderRow(h.holdId)).results).toEqual([{ status: "held", version: 1 }]);

		const redelivered = batchOf("kaipan-orders", [h, h], 2);
		await consumeOrders(redelivered, env);
		expect((await getQueueResult(redelivered, createExecutionContext())).explicitAcks).toHaveLength(2);
		const { results } = await env.DB.prepare("SELECT count(*) AS n FROM orders WHERE hold_id = ?").bind(h.holdId).all();
		expect(results).toEqual([{ n: 1 }]);
	});
});

describe("dead letters", () => {
	it("are parked in D1 and replayed to their queue, where they land exactly once", async () => {
		const h = holdRecord();
		const dead = batchOf("kaipan-orders-dlq", [h], 11);
		const ctx = createExecutionContext();
		await worker.queue(dead, env);
		expect((await getQueueResult(dead, ctx)).ackAll).toBe(true);
		const list = await (await admin("GET", "/api/admin/dead-letters")).json<{
			deadLetters: { id: string; queue: string }[];
		}>();
		expect(list.deadLetters.some((d) => d.queue === "kaipan-orders")).toBe(true);

		const replay = await admin("POST", "/api/admin/dead-letters/replay");
		expect(replay.status).toBe(200);
		expect((await replay.json<{ replayed: number }>()).replayed).toBeGreaterThanOrEqual(1);
		await vi.waitFor(async () => expect((await orderRow(h.holdId)).results).toEqual([{ status: "held", version: 1 }]), {
			timeout: 10_000,
			interval: 100,
		});
		const after = await (await admin("GET", "/api/admin/dead-letters")).json<{ deadLetters: { id: string }[] }>();
		expect(after.deadLetters.filter((d) => list.deadLetters.some((x) => x.id === d.id))).toEqual([]);
	});
});
