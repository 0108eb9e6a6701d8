// SQL helpers the bulk writes share: D1's bound-parameter limit and the "take the new row" upsert set.
import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/** D1 binds at most 100 parameters per statement; a multi-row insert binds one per column per row. */
export const D1_MAX_BOUND_PARAMETERS = 100;

/**
 * How many rows of `columns` columns fit in one statement under D1's parameter limit, beside `others`
 * parameters the statement binds once (a guard's id).
 */
export function rowsPerStatement(columns: number, others = 0): number {
	return Math.max(1, Math.floor((D1_MAX_BOUND_PARAMETERS - others) / columns));
}

/** Splits a list into runs of at most `size`, in order: one statement per run. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
	return out;
}

/**
 * An upsert's `set` that takes each named column from the row that conflicted (`excluded.<column>`),
 * keyed by the columns' property names as drizzle's `set` wants them.
 */
export function excluded<K extends string>(columns: Record<K, SQLiteColumn>): Record<K, SQL> {
	const set = {} as Record<K, SQL>;
	for (const key of Object.keys(columns) as K[]) set[key] = sql.raw(`excluded.${columns[key].name}`);
	return set;
}
