// Keyset pagination's query side: every list pages by (time, id) so that rows sharing a timestamp are
// neither skipped nor repeated, and hands back the cursor of the next page. The HTTP side (query
// schema, the 400 for a bad cursor) is worker/http/pagination.ts.
import { and, asc, desc, eq, gt, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { base64urlDecode, base64urlEncode, utf8 } from "../lib/encoding";

/** The sort key of a row: its time, then its id (unique), so pages never skip or repeat a row. */
export type SortKey = [at: string, id: string];

export type Direction = "asc" | "desc";

/** One page of a list, and the cursor that continues it (null on the last page). */
export interface Page<R> {
	page: R[];
	nextCursor: string | null;
}

/** The opaque cursor a client sends back for the page after the row with this key. */
export function encodeCursor(key: SortKey): string {
	return base64urlEncode(utf8(JSON.stringify(key)));
}

/** The sort key inside a cursor, or null when the text is not a cursor this module made. */
export function parseCursor(cursor: string): SortKey | null {
	const bytes = base64urlDecode(cursor);
	if (!bytes) return null;
	try {
		const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
		if (Array.isArray(value) && typeof value[0] === "string" && typeof value[1] === "string") {
			return [value[0], value[1]];
		}
	} catch {
		// not JSON: not one of ours
	}
	return null;
}

/**
 * The cursor of a list paged by D1's arrival order (orders, by their `seq`): an object, so that a
 * (time, id) cursor of the same list from before cannot be mistaken for one and is refused instead.
 */
export function encodeSeqCursor(seq: number): string {
	return base64urlEncode(utf8(JSON.stringify({ seq })));
}

/** The arrival position inside a cursor, or null when the text is not a cursor `encodeSeqCursor` made. */
export function parseSeqCursor(cursor: string): number | null {
	const bytes = base64urlDecode(cursor);
	if (!bytes) return null;
	try {
		const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
		if (typeof value === "object" && value !== null && "seq" in value) {
			const seq = value.seq;
			if (typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0) return seq;
		}
	} catch {
		// not JSON: not one of ours
	}
	return null;
}

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

/** The list's order by (time, id), the same direction for both so the key is a total order. */
export function keyOrder(at: SQLiteColumn, id: SQLiteColumn, direction: Direction): SQL[] {
	const by = direction === "asc" ? asc : desc;
	return [by(at), by(id)];
}

/** Splits `limit + 1` fetched rows into the page and the cursor of the next one. */
export function pageOf<R>(rows: R[], limit: number, keyOf: (row: R) => SortKey): Page<R> {
	const page = rows.slice(0, limit);
	const last = page.at(-1);
	return { page, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
