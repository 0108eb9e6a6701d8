// orders queue → D1. At-least-once delivery is made exactly-once by the hold id as key and the
// per-hold version: a duplicate or an out-of-order older message changes nothing. After D1 has the
// batch, the notification-worthy changes go on to the notifications queue (only for the version D1
// has as newest: a stale message must not tell a buyer something no longer true), every change goes
// to its listing's live feed input (best-effort), and each listing's inventory object hears which
// versions D1 now has, so that it can stop re-sending them (best-effort too: see acknowledgeToInventories).
import { upsertOrders } from "../db/orders";
import { listingInventoryOf } from "../durable-objects/addresses";
import { pushHoldChanges } from "../durable-objects/feed-push";
import type { OrderAck } from "../durable-objects/listing-inventory";
import { type HoldChange, type HoldRecord, type NotificationMessage, notificationKind } from "../lib/hold-record";

export async function consumeOrders(batch: MessageBatch<HoldRecord>, env: Env): Promise<void> {
	if (batch.messages.length === 0) return;
	let written: readonly Message<HoldRecord>[];
	/** The version each written hold's D1 row has after the write. */
	let versions: Map<string, number>;
	try {
		// One round trip for the whole batch in the common case.
		versions = await upsertOrders(
			env,
			batch.messages.map((m) => m.body),
		);
		written = batch.messages;
	} catch (err) {
		// Find the poison message(s): write one by one, retry only those that fail.
		console.warn("orders batch write failed; retrying messages one by one", { error: String(err) });
		const ok: Message<HoldRecord>[] = [];
		versions = new Map();
		for (const m of batch.messages) {
			try {
				for (const [holdId, version] of await upsertOrders(env, [m.body])) versions.set(holdId, version);
				ok.push(m);
			} catch (e) {
				console.error("order write failed", { holdId: m.body.holdId, attempt: m.attempts, error: String(e) });
				m.retry({ delaySeconds: backoffSeconds(m.attempts) });
			}
		}
		written = ok;
	}

	await feedDashboards(env, written);

	const notices = written.flatMap((m) => {
		const h = m.body;
		const kind = notificationKind(h.status);
		// Only the state D1 now has as newest is worth a message. The version D1 has after this write,
		// not "changed by this write": a redelivery after a failed enqueue below must still send it
		// (the notifications table makes the SMS itself go out once).
		if (!kind || versions.get(h.holdId) !== h.version) return [];
		const body: NotificationMessage = {
			kind,
			holdId: h.holdId,
			eventId: h.eventId,
			listingId: h.listingId,
			buyerId: h.buyerId,
			expiresAt: h.expiresAt,
			version: h.version,
		};
		return [{ body }];
	});
	try {
		if (notices.length > 0) await env.NOTIFICATIONS_QUEUE.sendBatch(notices);
	} catch (err) {
		// D1 already has these rows; redelivery rewrites nothing and re-sends the notices.
		console.warn("notifications enqueue failed; orders will be redelivered", { error: String(err) });
		for (const m of written) m.retry({ delaySeconds: backoffSeconds(m.attempts) });
		return;
	}
	for (const m of written) m.ack();
	await acknowledgeToInventories(env, written);
}

/**
 * Tells each listing's inventory object which (hold, version) pairs D1 now has, one RPC per listing,
 * so that it deletes those outbox rows instead of re-sending them. Only for messages done here (D1
 * written and notices queued). Best-effort: a report that is lost only costs one harmless re-send.
 */
async function acknowledgeToInventories(env: Env, done: readonly Message<HoldRecord>[]): Promise<void> {
	const byListing = new Map<string, { eventId: string; listingId: string; acks: OrderAck[] }>();
	for (const { body: h } of done) {
		const key = `${h.eventId}:${h.listingId}`;
		const entry = byListing.get(key) ?? { eventId: h.eventId, listingId: h.listingId, acks: [] };
		entry.acks.push({ holdId: h.holdId, version: h.version });
		byListing.set(key, entry);
	}
	const results = await Promise.allSettled(
		[...byListing.values()].map((l) => listingInventoryOf(env, l.eventId, l.listingId).acknowledge(l.acks)),
	);
	for (const r of results) {
		if (r.status === "rejected")
			console.warn("inventory not told what D1 has; it will re-send", { error: String(r.reason) });
	}
}

/**
 * Live pages hear of every change D1 now has: one RPC per event and feed input touched per batch
 * (feed-push.ts). Best-effort: the inputs re-read D1 when a subscriber joins, so a failure here never
 * costs an order and is not retried.
 */
async function feedDashboards(env: Env, written: readonly Message<HoldRecord>[]): Promise<void> {
	const byEvent = new Map<string, HoldChange[]>();
	for (const { body: h } of written) {
		const changes = byEvent.get(h.eventId) ?? [];
		changes.push({ holdId: h.holdId, listingId: h.listingId, status: h.status, version: h.version });
		byEvent.set(h.eventId, changes);
	}
	await Promise.all([...byEvent].map(([eventId, holds]) => pushHoldChanges(env, eventId, holds)));
}

export function backoffSeconds(attempts: number): number {
	return Math.min(60, 2 ** Math.max(0, attempts - 1));
}
