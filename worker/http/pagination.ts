// Keyset pagination at the HTTP edge, one way for every list: `?cursor=&limit=` in, `nextCursor` out
// (null on the last page). A cursor is the sort key of the last row served, opaque to clients; the
// query side lives in db/pagination.ts.
import { z } from "zod";
import { parseCursor, parseSeqCursor, type SortKey } from "../../db/pagination";
import { base64urlDecode, base64urlEncode, utf8 } from "../../lib/encoding";
import { ApiError } from "./errors";

export function pageQuery(maxLimit: number) {
	return z.strictObject({
		cursor: z.string().max(512).optional(),
		limit: z.coerce.number().int().min(1).max(maxLimit).default(100),
	});
}

/** The sort key a client's cursor names (null for the first page); a cursor we did not make is a 400. */
export function decodeCursor(cursor: string | undefined): SortKey | null {
	if (cursor === undefined) return null;
	const key = parseCursor(cursor);
	if (key) return key;
	throw new ApiError("invalid_request", "cursor: not a cursor returned by this endpoint", {
		details: { field: "cursor" },
	});
}

/** The arrival position a client's cursor names (null for the first page); anything else is a 400. */
export function decodeSeqCursor(cursor: string | undefined): number | null {
	if (cursor === undefined) return null;
	const seq = parseSeqCursor(cursor);
	if (seq !== null) return seq;
	throw new ApiError("invalid_request", "cursor: not a cursor returned by this endpoint", {
		details: { field: "cursor" },
	});
}

/** The cursor of the ledger's pages: the last seq served, in a shape no other list's cursor has. */
export function encodeLedgerCursor(seq: number): string {
	return base64urlEncode(utf8(JSON.stringify({ ledgerSeq: seq })));
}

/** The seq a client's ledger cursor names (0 for the first page); anything else is a 400. */
export function decodeLedgerCursor(cursor: string | undefined): number {
	if (cursor === undefined) return 0;
	const bytes = base64urlDecode(cursor);
	try {
		const value = bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as unknown) : null;
		if (typeof value === "object" && value !== null && "ledgerSeq" in value) {
			const seq = value.ledgerSeq;
			if (typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0) return seq;
		}
	} catch {
		// not JSON: not one of ours
	}
	throw new ApiError("invalid_request", "cursor: not a cursor returned by this endpoint", {
		details: { field: "cursor" },
	});
}
