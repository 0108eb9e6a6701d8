// ledger queue → the event's ledger, in batches (docs/SCALE.md fix 7, docs/LEDGER.md "Who writes"). Each
// message is one listing object's ledger rows, a prefix of those it has not yet heard the ledger has;
// a batch of up to 100 messages from many listings becomes one `append` per event — one RPC and one
// transaction instead of one per listing flush, which is what kept the ledger under its ~1,000
// requests/s when 5,000 units sell in a second.
//
// Exactly once and in order, with at-least-once delivery: every input carries its key (the ledger
// appends a key once), and a listing has one message in flight at a time (its next rows wait until
// `ledgerDelivered` deletes the ones before), so a message is always a prefix whose earlier rows are
// already in the ledger: appending it, twice or late, adds only what is missing, in the listing's
// order. The append is one transaction: a failure in the middle leaves nothing, and the messages are
// tried one by one to isolate a message that cannot go in; those are retried by the queue, and given
// up after max_retries they are sent again by the listing's outbox, which keeps its rows until the
// ledger has them.
import { eventLedgerOf, listingInventoryOf } from "../durable-objects/addresses";
import type { LedgerMessage } from "../durable-objects/event-ledger";
import { backoffSeconds } from "./orders";

export type { LedgerMessage };

export async function consumeLedger(batch: MessageBatch<LedgerMessage>, env: Env): Promise<void> {
	const byEvent = new Map<string, Message<LedgerMessage>[]>();
	for (const m of batch.messages) {
		const list = byEvent.get(m.body.eventId) ?? [];
		list.push(m);
		byEvent.set(m.body.eventId, list);
	}
	const done: Message<LedgerMessage>[] = [];
	for (const [eventId, messages] of byEvent) {
		const ledger = eventLedgerOf(env, eventId);
		try {
			// The common case: one RPC, one transaction for the event's whole batch, in delivery order.
			await ledger.append(messages.flatMap((m) => m.body.inputs));
			done.push(...messages);
		} catch (err) {
			console.warn("ledger batch append failed; appending its messages one by one", { eventId, error: String(err) });
			for (const m of messages) {
				try {
					await ledger.append(m.body.inputs);
					done.push(m);
				} catch (e) {
					console.error("ledger append failed", { eventId, listingId: m.body.listingId, error: String(e) });
					m.retry({ delaySeconds: backoffSeconds(m.attempts) });
				}
			}
		}
	}
	for (const m of done) m.ack();
	await reportToListings(env, done);
}

/**
 * Tells each listing object how far the ledger has its rows, one RPC per listing (the highest seq of
 * its messages done here). Best-effort: a lost report only means the rows are sent again (nothing
 * appended twice), after the outbox's re-send delay.
 */
async function reportToListings(env: Env, done: readonly Message<LedgerMessage>[]): Promise<void> {
	const upTo = new Map<string, { eventId: string; listingId: string; seq: number }>();
	for (const { body } of done) {
		const key = `${body.eventId}:${body.listingId}`;
		const seen = upTo.get(key);
		if (!seen || seen.seq < body.upToSeq)
			upTo.set(key, { eventId: body.eventId, listingId: body.listingId, seq: body.upToSeq });
	}
	await Promise.all(
		[...upTo.values()].map(({ eventId, listingId, seq }) =>
			listingInventoryOf(env, eventId, listingId)
				.ledgerDelivered(seq)
				.catch((err: unknown) =>
					console.warn("ledger report to the listing failed; it will re-send", {
						eventId,
						listingId,
						error: String(err),
					}),
				),
		),
	);
}
