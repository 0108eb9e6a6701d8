// Event status and locking rules, as plain functions of the stored event and the clock.

export type StatusMode = "auto" | "open" | "paused" | "closed";
export type EventStatus = "scheduled" | "open" | "paused" | "closed";

export interface EventTimes {
	startsAt: string;
	endsAt: string;
	statusMode: string;
	openedAt: string | null;
	/** "lottery": the event opens only once its draw is revealed (API.md v1.1). Missing: "race". */
	mode?: string;
	/** When the lottery's draw was revealed; null before. */
	drawnAt?: string | null;
}

/** A lottery event whose draw is not revealed yet: it cannot open (API.md, `draw_pending`). */
export function drawPending(event: EventTimes): boolean {
	return event.mode === "lottery" && !event.drawnAt;
}

/**
 * When the event actually opened, in epoch ms, for entry times (API.md "Entry in batches"): the
 * operator's first opening if there was one (earlier or later than startsAt); otherwise under "auto"
 * startsAt — or the reveal, for a lottery event drawn after its startsAt, since it stayed scheduled
 * until then. Before it opens: the same formula, so entryAt is what it will be if it opens on time.
 */
export function openedAtMs(event: EventTimes): number {
	if (event.openedAt) return Date.parse(event.openedAt);
	const startsAt = Date.parse(event.startsAt);
	return event.drawnAt ? Math.max(startsAt, Date.parse(event.drawnAt)) : startsAt;
}

export function eventStatus(event: EventTimes, now: number): EventStatus {
	switch (event.statusMode) {
		case "open":
		case "paused":
		case "closed":
			return event.statusMode;
		default:
			if (now < Date.parse(event.startsAt)) return "scheduled";
			// API.md: "auto keeps it scheduled" until the draw is revealed (then it opens at once).
			if (drawPending(event) && now < Date.parse(event.endsAt)) return "scheduled";
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
