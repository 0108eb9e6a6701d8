// The event named by the route's `:eventId`, loaded once and put on the context as `event`; the one
// place that answers 404 for a missing event. Buyer and public routes read the hot copy (at most
// EVENT_TTL_SECONDS old); operator routes read D1 itself, so an edit is seen at once from any isolate.
import { createMiddleware } from "hono/factory";
import { type EventRow, findEvent } from "../../db/events";
import { loadEvent } from "../hot-reads/catalogue";
import type { AppEnv } from "../http/app-env";
import { eventNotFound } from "../http/errors";
import { param } from "../http/validation";

declare module "hono" {
	interface ContextVariableMap {
		/** Set by requireEvent (and requireOpenEvent): the event of the route's :eventId. */
		event: EventRow;
	}
}

export interface RequireEventOptions {
	/** Read D1 rather than the hot copy: for operator routes, which must see their own writes. */
	fresh?: boolean;
}

export function requireEvent(options: RequireEventOptions = {}) {
	return createMiddleware<AppEnv>(async function requireEvent(c, next) {
		c.set("event", await existingEvent(c.env, param(c, "eventId"), options));
		await next();
	});
}

/** For the few callers whose event id is not in the path (login names it in its body). */
export async function existingEvent(env: Env, eventId: string, options: RequireEventOptions = {}): Promise<EventRow> {
	const event = options.fresh ? await findEvent(env, eventId) : await loadEvent(env, eventId);
	if (!event) throw eventNotFound(eventId);
	return event;
}
