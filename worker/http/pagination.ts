// Keyset pagination, one way for every list: `?cursor=&limit=` in, `nextCursor` out (null on the last
// page). A cursor is the sort key of the last row served, opaque to clients.
import { and, asc, desc, eq, gt, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { base64urlDecode, base64urlEncode, utf8 } from "../../lib/encoding";
import { ApiError } from "./errors";

export function pageQuery(maxLimit: number) {
	return z.strictObject({
		cursor: z.string().max(512).optional(),
		limit: z.coerce.number().int().min(1).max(maxLimit).default(100),
	});
}

/** The sort key of a row: its time, then its id (unique), so pages never skip or repeat a row. */
export type SortKey = [at: string, id: string];

export function encodeCursor(key: SortKey): string {
	return base64urlEncode(utf8(JSON.stringify(key)));
}

export function decodeCursor(cursor: string | undefined): SortKey | null {
	if (cursor === undefined) return null;
	const bytes = base64urlDecode(cursor);
	try {
		const value = bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as unknown) : null;
		if (Array.isArray(value) && typeof value[0] === "string" && typeof value[1] === "string") {
			return [value[0], value[1]];
		}
	} catch {
		// fall through to the error below
	}
	throw new ApiError("invalid_request", "cursor: not a cursor returned by this endpoint", {
		details: { field: "cursor" },
	});
}

type Direction = "asc" | "desc";

/** The rows after `key` in the list's order (nothing to filter on the first page). */
export function pastCursor(
	at: SQLiteColumn,
	id: SQLiteColumn,
	key: SortKey | null,
	direction: Direction,
): SQL | undefined {
	if (!key) return undefined;
	const past = direction === "asc" ? gt : lt;
	return or(past(at, key[0]), and(eq(at, key[0]), past(id, key[1])));
}

export function keyOrder(at: SQLiteColumn, id: SQLiteColumn, direction: Direction): SQL[] {
	const by = direction === "asc" ? asc : desc;
	return [by(at), by(id)];
}

/** Splits `limit + 1` fetched rows into the page and the cursor of the next one. */
export function pageOf<R>(rows: R[], limit: number, keyOf: (row: R) => SortKey) {
	const page = rows.slice(0, limit);
	const last = page.at(-1);
	return { page, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
