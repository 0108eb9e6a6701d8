// Event status and locking rules, as plain functions of the stored event and the clock.

export type StatusMode = "auto" | "open" | "paused" | "closed";
export type EventStatus = "scheduled" | "open" | "paused" | "closed";

export interface EventTimes {
	startsAt: string;
	endsAt: string;
	statusMode: string;
	openedAt: string | null;
}

export function eventStatus(event: EventTimes, now: number): EventStatus {
	switch (event.statusMode) {
		case "open":
		case "paused":
		case "closed":
			return event.statusMode;
		default:
			if (now < Date.parse(event.startsAt)) return "scheduled";
			if (now < Date.parse(event.endsAt)) return "open";
			return "closed";
	}
}

/**
 * Once an event has opened (its start time passed, or an operator opened it early) its catalogue and
 * its claim rules are frozen: the inventory objects have been handed stock and hold terms, and a buyer
 * must not see the rules change under them.
 */
export function isLocked(event: EventTimes, now: number): boolean {
	return event.openedAt !== null || now >= Date.parse(event.startsAt);
}
