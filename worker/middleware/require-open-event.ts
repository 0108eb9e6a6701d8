// Claims and purchase tokens need an open event of the session's own, with claims not paused by the
// operator (a degradation flag, 503 degraded). A session is bound to one
// event; using it on another is forbidden rather than unauthenticated, since it is a valid login.
import { createMiddleware } from "hono/factory";
import { eventStatus } from "../../lib/event-rules";
import { loadSwitches } from "../hot-reads/switches";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { param } from "../http/validation";
import { existingEvent } from "./require-event";

export function requireOpenEvent() {
	return createMiddleware<AppEnv>(async function requireOpenEvent(c, next) {
		const eventId = param(c, "eventId");
		if (c.get("session").eventId !== eventId) {
			throw new ApiError("forbidden", "This session belongs to another event.");
		}
		const [event, switches] = await Promise.all([existingEvent(c.env, eventId), loadSwitches(c.env, eventId)]);
		const status = eventStatus(event, Date.now());
		if (status !== "open") {
			throw new ApiError("event_not_open", `The event is ${status}.`, {
				extra: { status, ...(status === "scheduled" ? { opensAt: event.startsAt } : {}) },
			});
		}
		if (switches.claimsPaused) {
			throw new ApiError("degraded", "Claims are paused by the operator for a moment; please retry.", {
				retryAfter: 5,
			});
		}
		c.set("event", event);
		await next();
	});
}
