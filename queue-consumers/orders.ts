// orders queue → D1. At-least-once delivery is made exactly-once by the hold id as key and the
// per-hold version: a duplicate or an out-of-order older message changes nothing. After D1 has the
// batch, the notification-worthy changes go on to the notifications queue (deduplicated there too)
// and every change goes to the event's dashboard hub (best-effort).
import { upsertOrders } from "../db/orders";
import { dashboardHubOf } from "../durable-objects/addresses";
import type { HoldChange } from "../durable-objects/dashboard-hub";
import { type HoldRecord, type NotificationMessage, notificationKind } from "../lib/hold-record";

export async function consumeOrders(batch: MessageBatch<HoldRecord>, env: Env): Promise<void> {
	if (batch.messages.length === 0) return;
	let written: readonly Message<HoldRecord>[];
	try {
		// One round trip for the whole batch in the common case.
		await upsertOrders(
			env,
			batch.messages.map((m) => m.body),
		);
		written = batch.messages;
	} catch (err) {
		// Find the poison message(s): write one by one, retry only those that fail.
		console.warn("orders batch write failed; retrying messages one by one", { error: String(err) });
		const ok: Message<HoldRecord>[] = [];
		for (const m of batch.messages) {
			try {
				await upsertOrders(env, [m.body]);
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
		const kind = notificationKind(m.body.status);
		if (!kind) return [];
		const h = m.body;
		const body: NotificationMessage = {
			kind,
			holdId: h.holdId,
			eventId: h.eventId,
			listingId: h.listingId,
			buyerId: h.buyerId,
			expiresAt: h.expiresAt,
		};
		return [{ body }];
	});
	try {
		if (notices.length > 0) await env.NOTIFICATIONS_QUEUE.sendBatch(notices);
		for (const m of written) m.ack();
	} catch (err) {
		// D1 already has these rows; redelivery rewrites nothing and re-sends the notices.
		console.warn("notifications enqueue failed; orders will be redelivered", { error: String(err) });
		for (const m of written) m.retry({ delaySeconds: backoffSeconds(m.attempts) });
	}
}

/**
 * Live dashboards hear of every change D1 now has: one RPC per event per batch. Best-effort: the hub
 * re-reads D1 when a page connects, so a failure here never costs an order and is not retried.
 */
async function feedDashboards(env: Env, written: readonly Message<HoldRecord>[]): Promise<void> {
	const byEvent = new Map<string, HoldChange[]>();
	for (const { body: h } of written) {
		const changes = byEvent.get(h.eventId) ?? [];
		changes.push({ holdId: h.holdId, listingId: h.listingId, status: h.status, version: h.version });
		byEvent.set(h.eventId, changes);
	}
	const results = await Promise.allSettled(
		[...byEvent].map(([eventId, holds]) => dashboardHubOf(env, eventId).applyHolds(eventId, holds)),
	);
	for (const r of results) {
		if (r.status === "rejected") console.warn("dashboard hub not updated", { error: String(r.reason) });
	}
}

export function backoffSeconds(attempts: number): number {
	return Math.min(60, 2 ** Math.max(0, attempts - 1));
}
