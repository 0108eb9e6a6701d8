// The one way into D1: a drizzle client over the DB binding, and the batch runner every bulk write uses.
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

/** What a db/ function needs of the environment: only the binding, so tests can hand in a wrapped one. */
export interface D1Env {
	DB: D1Database;
}

/** A drizzle client over the env's D1 binding: every db/ module builds its queries on this. */
export function dbOf(env: D1Env) {
	return drizzle(env.DB, { schema });
}

export type Db = ReturnType<typeof dbOf>;
export { schema };

/**
 * Runs statements as one D1 batch: one round trip, and one transaction (all or nothing). Drizzle's
 * batch wants a non-empty tuple; an empty list is simply nothing to do.
 */
export async function runBatch(db: Db, statements: BatchItem<"sqlite">[]): Promise<void> {
	const [first, ...rest] = statements;
	if (first) await db.batch([first, ...rest]);
}
