// Dead-letter queues → D1 `dead_letters`. A message lands here after exhausting its retries on the
// orders or notifications queue (a bug, or D1 down for longer than the retry budget). Nothing is
// lost: the operator inspects them (GET /api/admin/dead-letters) and replays them to their queue
// once the cause is fixed (POST /api/admin/dead-letters/replay). Every consumer is idempotent, so a
// replay of something that meanwhile succeeded changes nothing.
import { parkDeadLetters } from "../db/dead-letters";

export const DLQ_SUFFIX = "-dlq";

export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const queue = batch.queue.slice(0, -DLQ_SUFFIX.length);
	const parkedAt = new Date().toISOString();
	await parkDeadLetters(
		env,
		batch.messages.map((m) => ({ id: m.id, queue, body: JSON.stringify(m.body), attempts: m.attempts, parkedAt })),
	);
	console.error("messages parked in dead_letters", { queue, count: batch.messages.length });
	batch.ackAll();
}
