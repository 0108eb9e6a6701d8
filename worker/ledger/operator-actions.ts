// Operator actions go into the event's ledger before the route answers (docs/LEDGER.md). The route
// makes its D1 write first and then appends here: the ledger records what was done, never what was
// only attempted. D1 and the ledger object cannot share a transaction, so if the append fails after
// the write, the change stands without its entry; the route then answers 503 overloaded, and since
// every admin write is idempotent (a PUT or status set again leaves D1 as it is), sending the same
// request again records it. That gap, and why it is acceptable, is written down in docs/LEDGER.md.
import type { Context } from "hono";
import { eventLedgerOf } from "../../durable-objects/addresses";
import type { JsonObject, LedgerKind } from "../../lib/ledger-chain";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";

/**
 * Appends one operator action to `eventId`'s ledger, named after the signed-in staff member. One key
 * per request: a retry of the RPC inside this request appends at most once; a new request is a new
 * action (an operator who sets the same status twice did it twice).
 */
export async function recordOperatorAction(
	c: Context<AppEnv>,
	eventId: string,
	kind: LedgerKind,
	data: JsonObject,
): Promise<void> {
	const input = { key: `op:${crypto.randomUUID()}`, kind, actor: c.get("staff").actor, data };
	const ledger = eventLedgerOf(c.env, eventId);
	try {
		await ledger.append([input]);
	} catch (first) {
		try {
			// Once more with the same key: a transient RPC failure (the object restarting) is the
			// common case, and the key makes a second append of an entry that did land a no-op.
			await ledger.append([input]);
		} catch (err) {
			console.error("operator action not recorded in the ledger", {
				eventId,
				kind,
				first: String(first),
				error: String(err),
			});
			throw new ApiError(
				"overloaded",
				"The change was saved but could not be recorded in the event's ledger yet; send the same request again.",
				{ retryAfter: 1 },
			);
		}
	}
}
