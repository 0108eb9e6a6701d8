// When an event's opening moves — the operator opens it early or late, edits startsAt or the delay,
// or the draw is revealed — every buyer with auto-claim on is told its new expected time, so that its
// alarm fires then and not at the time guessed when the list was saved. The alarm re-reads D1 when it
// fires (lib/auto-claim.ts), so this is only about firing early enough: a missed call here delays an
// auto-claim to the old guess (or the next poll), it never makes a wrong one.
import type { Context } from "hono";
import { drawOrderOf } from "../../db/draws";
import { findEvent } from "../../db/events";
import { autoClaimBuyers } from "../../db/wishlists";
import { buyerQuotaOf } from "../../durable-objects/addresses";
import { autoClaimDueAt } from "../../lib/auto-claim";
import { entryAt } from "../../lib/draw";
import { openedAtMs } from "../../lib/event-rules";
import type { AppEnv } from "../http/app-env";

/** Buyer objects told at once: enough to finish 10,000 buyers in seconds, few enough not to flood. */
const IN_FLIGHT = 32;

/** Re-arms every auto-claim buyer of the event (D1's list); returns how many were told. */
export async function rearmAutoClaims(env: Env, eventId: string): Promise<number> {
	const event = await findEvent(env, eventId);
	if (!event) return 0;
	const buyers = await autoClaimBuyers(env, eventId);
	if (buyers.length === 0) return 0;
	const opened = openedAtMs(event);
	const order = event.mode === "lottery" && event.drawnAt ? await drawOrderOf(env, eventId) : null;
	const positions = new Map((order ?? []).map((id, i) => [id, i]));
	const dueOf = (buyerId: string) => {
		const position = positions.get(buyerId);
		const entry = position === undefined ? opened : entryAt(opened, position, event.batchSize, event.batchSeconds);
		return autoClaimDueAt(entry, event.autoClaimDelaySeconds);
	};
	let next = 0;
	const worker = async () => {
		while (next < buyers.length) {
			const buyerId = buyers[next++] as string;
			try {
				await buyerQuotaOf(env, eventId, buyerId).rearmAutoClaim(dueOf(buyerId));
			} catch (err) {
				console.warn("auto-claim not re-armed; its own alarm still looks later", {
					eventId,
					buyerId,
					error: String(err),
				});
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, buyers.length) }, worker));
	return buyers.length;
}

/**
 * Runs the re-arm after the answer (the operator's request does not wait for 10,000 objects). An app
 * called without an execution context (a test harness) runs it before answering instead.
 */
export async function rearmAutoClaimsLater(c: Context<AppEnv>, eventId: string): Promise<void> {
	const run = rearmAutoClaims(c.env, eventId).catch((err: unknown) => {
		console.warn("auto-claims not re-armed", { eventId, error: String(err) });
	});
	let ctx: { waitUntil(p: Promise<unknown>): void } | null = null;
	try {
		ctx = c.executionCtx;
	} catch {
		ctx = null;
	}
	if (ctx) ctx.waitUntil(run);
	else await run;
}
