// Operator view of dead letters, and their replay to the queue they failed on.
import { Hono } from "hono";
import { z } from "zod";
import { deleteDeadLetters, listDeadLetters } from "../../db/dead-letters";
import type { AppEnv } from "../http/app-env";
import { validate } from "../http/validation";

const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1_000).default(100) });

const QUEUES: Record<string, (env: Env) => Queue> = {
	"kaipan-orders": (env) => env.ORDERS_QUEUE,
	"kaipan-notifications": (env) => env.NOTIFICATIONS_QUEUE,
};

export const adminDeadLetters = new Hono<AppEnv>()
	.get("/", async (c) => {
		const { limit } = validate(listQuery, c.req.query(), "query");
		const rows = await listDeadLetters(c.env, limit);
		return c.json({ deadLetters: rows.map((r) => ({ ...r, body: JSON.parse(r.body) as unknown })) });
	})
	.post("/replay", async (c) => {
		const rows = await listDeadLetters(c.env, 1_000);
		let replayed = 0;
		for (const queue of Object.keys(QUEUES)) {
			const mine = rows.filter((r) => r.queue === queue);
			const target = QUEUES[queue];
			if (mine.length === 0 || !target) continue;
			// Sent first, deleted after: a crash in between replays twice, which the consumers absorb.
			for (let i = 0; i < mine.length; i += 100) {
				const part = mine.slice(i, i + 100);
				await target(c.env).sendBatch(part.map((r) => ({ body: JSON.parse(r.body) as unknown })));
				await deleteDeadLetters(
					c.env,
					part.map((r) => r.id),
				);
				replayed += part.length;
			}
		}
		return c.json({ replayed, remaining: rows.length === 1_000 ? "more: call again" : 0 });
	});
