// docs/SCALE.md fix 7, docs/LEDGER.md: the ledger fed in batches through the ledger queue. The listing
// objects' messages are captured (so the test decides what is delivered, how often and in which
// batches), then handed to the real consumer: one append per event per batch; a message delivered
// twice, a stale prefix delivered after a longer one, and a failure in the middle of the ledger's
// transaction each leave every change exactly once, each listing's changes in the order they were
// made, and a chain that verifies; the listing objects delete their rows only once the ledger has them.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { eventLedgerOf, listingInventoryOf } from "../durable-objects/addresses";
import type { EventLedger, LedgerMessage } from "../durable-objects/event-ledger";
import type { ListingInventory } from "../durable-objects/listing-inventory";
import { verifyLedgerExport } from "../lib/ledger-verifier";
import { consumeLedger } from "../queue-consumers/ledger";
import {
	ADMIN,
	admin,
	call,
	cancel,
	capturingQueue,
	claim,
	eventuallyOrders,
	login,
	orders,
	seedEvent,
} from "./helpers";

interface FakeMessage {
	body: LedgerMessage;
	acked: boolean;
	retried: boolean;
}

/** A batch as the queue hands it to the consumer; each message records whether it was acked or retried. */
function batchOf(bodies: LedgerMessage[]): { batch: MessageBatch<LedgerMessage>; messages: FakeMessage[] } {
	const messages = bodies.map((body) => ({ body, acked: false, retried: false }));
	const batch = {
		queue: "kaipan-ledger",
		messages: messages.map((m, i) => ({
			id: `m${i}`,
			timestamp: new Date(),
			attempts: 1,
			body: m.body,
			ack: () => {
				m.acked = true;
			},
			retry: () => {
				m.retried = true;
			},
		})),
		ackAll: () => undefined,
		retryAll: () => undefined,
	} as unknown as MessageBatch<LedgerMessage>;
	return { batch, messages };
}

async function exportText(eventId: string): Promise<string> {
	const res = await call(`/api/admin/events/${eventId}/ledger/export`, { headers: ADMIN });
	return new TextDecoder().decode(await res.arrayBuffer());
}

/** Hold entries as "listingId holdId:version:status", in ledger order. */
async function holdChanges(eventId: string): Promise<{ listingId: string; change: string }[]> {
	return (await exportText(eventId))
		.split("\n")
		.filter((l) => l !== "")
		.map((l) => JSON.parse(l) as { kind: string; data: Record<string, unknown> })
		.filter((e) => e.kind.startsWith("hold_"))
		.map((e) => ({
			listingId: String(e.data.listingId),
			change: `${String(e.data.holdId)}:${String(e.data.version)}:${String(e.data.status)}`,
		}));
}

async function ledgerRows(eventId: string, listingId: string): Promise<number> {
	return runInDurableObject(listingInventoryOf(env, eventId, listingId), (_: ListingInventory, state) =>
		Number(state.storage.sql.exec("SELECT count(*) AS n FROM outbox WHERE target = 'ledger'").one().n),
	);
}

/** Every listing object of the event sends its ledger messages to one captured queue. */
async function captureLedgerQueue(eventId: string, listingIds: readonly string[]) {
	const captured = capturingQueue<LedgerMessage>();
	for (const listingId of listingIds) {
		await runInDurableObject(listingInventoryOf(env, eventId, listingId), (instance: ListingInventory) => {
			Object.assign(instance, { env: { ...env, LEDGER_QUEUE: captured.queue } });
		});
	}
	return captured.sent;
}

describe("the ledger fed in batches", () => {
	it("duplicates, a stale prefix and a failure mid-batch: every change once, each listing in order", async () => {
		const ev = await seedEvent({ listings: 3, buyers: 3, stock: 2 });
		const sent = await captureLedgerQueue(ev.eventId, ev.listingIds);
		const [b1, b2, b3] = await Promise.all(["B1", "B2", "B3"].map((b) => login(ev.eventId, b)));
		if (!b1 || !b2 || !b3) throw new Error("login");
		// L1: a grant, then its cancel (one hold, two versions), while the grant's batch is in flight.
		const h1 = (await (await claim(b1, "L1")).json<{ holdId: string }>()).holdId;
		await vi.waitFor(() => expect(sent).toHaveLength(1), { timeout: 5_000 });
		expect((await cancel(b1, h1)).status).toBe(200);
		expect((await claim(b2, "L2")).status).toBe(201);
		expect((await claim(b3, "L3")).status).toBe(201);
		await vi.waitFor(() => expect(sent).toHaveLength(3), { timeout: 5_000 });
		// One batch of L1 in flight at a time: its cancel waits behind the grant until the ledger has it.
		expect(sent.filter((m) => m.listingId === "L1")).toHaveLength(1);
		expect(await ledgerRows(ev.eventId, "L1")).toBe(2);

		// Batch 1: L1's grant twice (a duplicate delivery), L2, L3 — and the ledger fails after writing two
		// entries of it: the transaction leaves nothing, the consumer appends message by message.
		const ledger = eventLedgerOf(env, ev.eventId);
		await runInDurableObject(ledger, (instance: EventLedger) => {
			instance.failNextAppendAfter = 2;
			instance.appendCalls = 0;
		});
		const first = [...sent];
		const one = batchOf([first[0], first[0], first[1], first[2]] as LedgerMessage[]);
		await consumeLedger(one.batch, env);
		expect(one.messages.every((m) => m.acked && !m.retried)).toBe(true);
		// The batch append (failed) and four one by one.
		expect(await runInDurableObject(ledger, (i: EventLedger) => i.appendCalls)).toBe(5);
		// The reports let L1 send its cancel; L2 and L3 have nothing left.
		await vi.waitFor(() => expect(sent).toHaveLength(4), { timeout: 5_000 });
		expect(await ledgerRows(ev.eventId, "L2")).toBe(0);
		expect(await ledgerRows(ev.eventId, "L1")).toBe(1);

		// Batch 2: L1's cancel, then the stale grant message again (a late redelivery): one append call.
		await runInDurableObject(ledger, (instance: EventLedger) => {
			instance.appendCalls = 0;
		});
		const two = batchOf([sent[3], first[0]] as LedgerMessage[]);
		await consumeLedger(two.batch, env);
		expect(two.messages.every((m) => m.acked)).toBe(true);
		expect(await runInDurableObject(ledger, (i: EventLedger) => i.appendCalls)).toBe(1);
		expect(await ledgerRows(ev.eventId, "L1")).toBe(0);

		const changes = await holdChanges(ev.eventId);
		expect(changes.filter((c) => c.listingId === "L1").map((c) => c.change)).toEqual([
			`${h1}:1:held`,
			`${h1}:2:cancelled`,
		]);
		expect(changes).toHaveLength(4);
		expect(new Set(changes.map((c) => c.change)).size).toBe(4);
		await eventuallyOrders(ev.eventId, (rows) => expect(rows).toHaveLength(3));
		expect((await verifyLedgerExport(await exportText(ev.eventId), { orders: await orders(ev.eventId) })).ok).toBe(
			true,
		);
	});

	it("a message the ledger refuses is retried alone; the rest of its batch goes in", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 2 });
		const sent = await captureLedgerQueue(ev.eventId, ev.listingIds);
		expect((await claim(await login(ev.eventId, "B1"), "L1")).status).toBe(201);
		expect((await claim(await login(ev.eventId, "B2"), "L2")).status).toBe(201);
		await vi.waitFor(() => expect(sent).toHaveLength(2), { timeout: 5_000 });
		const [good, other] = sent as [LedgerMessage, LedgerMessage];
		const poison: LedgerMessage = { ...other, inputs: [{ ...other.inputs[0], key: "" } as LedgerMessage["inputs"][0]] };
		const batch = batchOf([good, poison]);
		await consumeLedger(batch.batch, env);
		expect(batch.messages.map((m) => [m.acked, m.retried])).toEqual([
			[true, false],
			[false, true],
		]);
		// The refused message's rows stay in its listing's outbox: they will be sent again.
		expect(await ledgerRows(ev.eventId, "L1")).toBe(0);
		expect(await ledgerRows(ev.eventId, "L2")).toBe(1);
		const retried = batchOf([other]);
		await consumeLedger(retried.batch, env);
		expect(await ledgerRows(ev.eventId, "L2")).toBe(0);
		expect(await holdChanges(ev.eventId)).toHaveLength(2);
	});

	it("end to end through the real queue: every grant reaches the ledger and the rows are deleted", async () => {
		const ev = await seedEvent({ listings: 4, buyers: 4 });
		const sessions = await Promise.all(ev.buyerIds.map((b) => login(ev.eventId, b)));
		const results = await Promise.all(sessions.map((s, i) => claim(s, ev.listingIds[i] ?? "L1")));
		expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
		await vi.waitFor(async () => expect(await holdChanges(ev.eventId)).toHaveLength(4), { timeout: 10_000 });
		await vi.waitFor(
			async () => {
				for (const id of ev.listingIds) expect(await ledgerRows(ev.eventId, id)).toBe(0);
			},
			{ timeout: 10_000 },
		);
		expect((await admin("GET", `/api/events/${ev.eventId}/ledger/head`)).status).toBe(200);
	});
});
