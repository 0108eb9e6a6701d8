// Dead letters in D1: queue messages that exhausted their retries, parked by message id until the
// operator replays them to the queue they failed on.
import { asc, inArray } from "drizzle-orm";
import { type D1Env, dbOf, runBatch, schema } from "./client";
import { chunk, D1_MAX_BOUND_PARAMETERS } from "./sql";

export type DeadLetterRow = typeof schema.deadLetters.$inferSelect;

/** Parks messages in one transaction; a message id already parked is left as it is (redelivery). */
export async function parkDeadLetters(env: D1Env, letters: readonly DeadLetterRow[]): Promise<void> {
	const db = dbOf(env);
	await runBatch(
		db,
		letters.map((letter) => db.insert(schema.deadLetters).values(letter).onConflictDoNothing()),
	);
}

/** The oldest parked messages first, at most `limit` of them. */
export function listDeadLetters(env: D1Env, limit: number): Promise<DeadLetterRow[]> {
	return dbOf(env).select().from(schema.deadLetters).orderBy(asc(schema.deadLetters.parkedAt)).limit(limit);
}

/** Removes parked messages by id (after their replay was sent); unknown ids are ignored. */
export async function deleteDeadLetters(env: D1Env, ids: readonly string[]): Promise<void> {
	const db = dbOf(env);
	await runBatch(
		db,
		chunk(ids, D1_MAX_BOUND_PARAMETERS).map((part) =>
			db.delete(schema.deadLetters).where(inArray(schema.deadLetters.id, part)),
		),
	);
}
