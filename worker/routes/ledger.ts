// The event ledger over HTTP (API.md "Event ledger", docs/LEDGER.md): pages of entries and the export
// for staff, the head for anyone. Everything is read from the event's ledger object, the only copy;
// the event itself is checked in D1 first, so an unknown event is a 404 and creates no object.
import { Hono } from "hono";
import { eventLedgerOf } from "../../durable-objects/addresses";
import { MAX_PAGE } from "../../durable-objects/event-ledger";
import type { AppEnv } from "../http/app-env";
import { decodeLedgerCursor, encodeLedgerCursor, pageQuery } from "../http/pagination";
import { validate } from "../http/validation";
import { requireEvent } from "../middleware/require-event";

export const ledgerQuery = pageQuery(MAX_PAGE);

/** Mounted under /api/admin/events (staff). */
export const adminLedger = new Hono<AppEnv>()
	.get("/:eventId/ledger", requireEvent({ fresh: true }), async (c) => {
		const query = validate(ledgerQuery, c.req.query(), "query");
		const after = decodeLedgerCursor(query.cursor);
		const { lines, lastSeq } = await eventLedgerOf(c.env, c.get("event").id).page(after, query.limit);
		// The entries as the object wrote their JSON: nothing parsed and serialised again on the way.
		const nextCursor = lastSeq === null ? null : encodeLedgerCursor(lastSeq);
		return c.body(`{"entries":[${lines.join(",")}],"nextCursor":${JSON.stringify(nextCursor)}}`, 200, {
			"content-type": "application/json",
		});
	})
	.get("/:eventId/ledger/export", requireEvent({ fresh: true }), (c) => {
		const eventId = c.get("event").id;
		const ledger = eventLedgerOf(c.env, eventId);
		const encoder = new TextEncoder();
		let after = 0;
		// Page by page as the client reads: memory stays one page however long the ledger is. Entries
		// are never changed, so the pages join into exactly the chain from seq 1 to the last one read.
		const body = new ReadableStream<Uint8Array>({
			async pull(controller) {
				const { lines, lastSeq } = await ledger.page(after, MAX_PAGE);
				if (lines.length > 0) controller.enqueue(encoder.encode(lines.map((line) => `${line}\n`).join("")));
				if (lastSeq === null) controller.close();
				else after = lastSeq;
			},
		});
		return c.body(body, 200, {
			"content-type": "application/x-ndjson; charset=utf-8",
			"content-disposition": `attachment; filename="ledger-${eventId}.jsonl"`,
		});
	});

/** Mounted under /api/events: the head is public, for a notary or a screen in the sales hall. */
export const publicLedger = new Hono<AppEnv>().get("/:eventId/ledger/head", requireEvent(), async (c) => {
	// A head a second old is as good as a fresh one for a notary; a crowd refreshing a screen shares it.
	c.header("cache-control", "public, max-age=1");
	return c.json(await eventLedgerOf(c.env, c.get("event").id).head());
});
