// Typed row reads over SqlStorage.exec, so the objects say which row shape they expect once instead
// of repeating `.exec<T>(…).toArray()[0]`. For aggregates (count, min), which always return exactly
// one row, the cursor's own `.one()` is the right call and stays.

type Row = Record<string, SqlStorageValue>;

/**
 * The row of a query that matches at most one (by key, or LIMIT 1), or undefined. A second row means
 * the query is not keyed the way its caller believes, which would silently pick an arbitrary row:
 * it throws instead.
 */
export function one<T extends Row>(sql: SqlStorage, query: string, ...binds: SqlStorageValue[]): T | undefined {
	const cursor = sql.exec<T>(query, ...binds);
	const first = cursor.next();
	if (first.done) return undefined;
	if (!cursor.next().done) throw new Error(`expected at most one row from: ${query}`);
	return first.value;
}

/** Every row of a query, typed. */
export function all<T extends Row>(sql: SqlStorage, query: string, ...binds: SqlStorageValue[]): T[] {
	return sql.exec<T>(query, ...binds).toArray();
}
