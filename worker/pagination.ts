// Keyset pagination, one way for every list: `?cursor=&limit=` in, `nextCursor` out (null on the last
// page). A cursor is the sort key of the last row served, opaque to clients.
import { z } from "zod";
import { base64urlDecode, base64urlEncode, utf8 } from "../lib/encoding";
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
