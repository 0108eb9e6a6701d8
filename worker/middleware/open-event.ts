// Claims and purchase tokens need an open event of the session's own. A session is bound to one
// event; using it on another is forbidden rather than unauthenticated, since it is a valid login.
import { createMiddleware } from "hono/factory";
import { eventStatus } from "../../lib/event-rules";
import { loadEvent } from "../catalogue";
import { ApiError } from "../errors";
import type { AppEnv } from "../hono-env";
import { param } from "../validation";

export function requireOpenEvent() {
	return createMiddleware<AppEnv>(async function requireOpenEvent(c, next) {
		const eventId = param(c, "eventId");
		if (c.get("session").eventId !== eventId) {
			throw new ApiError("forbidden", "This session belongs to another event.");
		}
		const event = await loadEvent(c.env, eventId);
		if (!event) throw new ApiError("not_found", `No event ${eventId}.`);
		const status = eventStatus(event, Date.now());
		if (status !== "open") {
			throw new ApiError("event_not_open", `The event is ${status}.`, {
				extra: { status, ...(status === "scheduled" ? { opensAt: event.startsAt } : {}) },
			});
		}
		await next();
	});
}
