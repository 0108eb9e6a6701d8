// A buyer's turn in a lottery event (API.md v1.1 "Entry in batches"): its 0-based position in the
// published order, its 0-based batch, and its entryAt. The order never changes after the reveal, so
// each isolate keeps it once per event (keyed by the reveal's time, which is written once too).
import type { MiddlewareHandler } from "hono";
import { drawOrderOf } from "../../db/draws";
import type { EventRow } from "../../db/events";
import { batchOf, entryAt } from "../../lib/draw";
import { openedAtMs } from "../../lib/event-rules";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";

declare module "hono" {
	interface ContextVariableMap {
		/** Set by requireTurn in a lottery event: the buyer's entryAt (epoch ms), checked again by its object. */
		notBefore: number;
	}
}

export interface Turn {
	mode: "race" | "lottery";
	/** 0-based position in the order; null in a race event (and for a buyer not in the order). */
	position: number | null;
	/** 0-based batch: positions 0 … batchSize − 1 are batch 0. Null where position is. */
	batch: number | null;
	/** Epoch ms from which the buyer may claim; null in a lottery event not drawn yet. */
	entryAtMs: number | null;
}

const MAX_CACHED_EVENTS = 100;
const positions = new Map<string, { drawnAt: string; byBuyer: Map<string, number> }>();

/** The event's order as buyer id → position, read from D1 once per isolate and reveal. */
async function positionsOf(env: Env, event: EventRow): Promise<Map<string, number> | null> {
	if (!event.drawnAt) return null;
	const cached = positions.get(event.id);
	if (cached && cached.drawnAt === event.drawnAt) return cached.byBuyer;
	const order = await drawOrderOf(env, event.id);
	if (!order) return null;
	const byBuyer = new Map(order.map((id, i) => [id, i]));
	if (positions.size >= MAX_CACHED_EVENTS) positions.delete(positions.keys().next().value as string);
	positions.set(event.id, { drawnAt: event.drawnAt, byBuyer });
	return byBuyer;
}

export async function turnOf(env: Env, event: EventRow, buyerId: string): Promise<Turn> {
	if (event.mode !== "lottery") {
		return { mode: "race", position: null, batch: null, entryAtMs: openedAtMs(event) };
	}
	const byBuyer = await positionsOf(env, event);
	const position = byBuyer?.get(buyerId);
	if (position === undefined) return { mode: "lottery", position: null, batch: null, entryAtMs: null };
	return {
		mode: "lottery",
		position,
		batch: batchOf(position, event.batchSize),
		entryAtMs: entryAt(openedAtMs(event), position, event.batchSize, event.batchSeconds),
	};
}

/** The 423 of a buyer whose batch has not entered yet (API.md: the body adds `entryAt`). */
export function notYourTurn(entryAtMs: number): ApiError {
	const at = new Date(entryAtMs).toISOString();
	return new ApiError("not_your_turn", `Your batch enters at ${at}.`, { extra: { entryAt: at } });
}

/**
 * After requireOpenEvent: in a lottery event, a buyer before its entryAt is refused (423 not_your_turn).
 * Sets `notBefore` for the claim so the buyer object checks the same moment again at its own clock
 * (guarantee 8 at the authority). A buyer registered but missing from the order cannot exist (the
 * list is frozen at the commit); were it so, it is refused rather than let in early.
 */
export function requireTurn(): MiddlewareHandler<AppEnv> {
	return async function requireTurn(c, next) {
		const event = c.get("event");
		if (event.mode === "lottery") {
			const turn = await turnOf(c.env, event, c.get("session").buyerId);
			if (turn.entryAtMs === null) {
				throw new ApiError("forbidden", "You are not in this event's draw.");
			}
			if (Date.now() < turn.entryAtMs) throw notYourTurn(turn.entryAtMs);
			c.set("notBefore", turn.entryAtMs);
		}
		await next();
	};
}
