import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export function dbOf(env: { DB: D1Database }) {
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
