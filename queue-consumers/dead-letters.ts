// Dead-letter queues → D1 `dead_letters`. A message lands here after exhausting its retries on the
// orders or notifications queue (a bug, or D1 down for longer than the retry budget). The operator
// inspects them (GET /api/admin/dead-letters) and replays them to their queue once the cause is fixed
// (POST /api/admin/dead-letters/replay). Every consumer is idempotent, so a replay of something that
// meanwhile succeeded changes nothing.
//
// Parking needs D1, which is often exactly what failed. So while D1 refuses, nothing is acknowledged:
// each message is retried with a long delay (minutes, growing to an hour), and the queue's
// max_retries in wrangler.toml give that days. Even if this queue did drop an orders message in the
// end, nothing would be lost: the inventory object keeps every `orders` outbox row until D1 reports
// that version, and re-sends it (and the Cron reconciler compares the objects with D1). A notice
// dropped here costs one SMS, never an order.
import { parkDeadLetters } from "../db/dead-letters";

export const DLQ_SUFFIX = "-dlq";

/** Wait before a dead letter is offered again while D1 is down: 1 min, doubling, at most 1 h. */
export function parkRetrySeconds(attempts: number): number {
	return Math.min(3_600, 60 * 2 ** Math.max(0, attempts - 1));
}

export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const queue = batch.queue.slice(0, -DLQ_SUFFIX.length);
	const parkedAt = new Date().toISOString();
	try {
		await parkDeadLetters(
			env,
			batch.messages.map((m) => ({ id: m.id, queue, body: JSON.stringify(m.body), attempts: m.attempts, parkedAt })),
		);
	} catch (err) {
		console.error("dead letters not parked (D1 refused); retrying later", {
			queue,
			count: batch.messages.length,
			error: String(err),
		});
		for (const m of batch.messages) m.retry({ delaySeconds: parkRetrySeconds(m.attempts) });
		return;
	}
	console.error("messages parked in dead_letters", { queue, count: batch.messages.length });
	batch.ackAll();
}
