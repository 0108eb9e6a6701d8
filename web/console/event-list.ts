// The operator console's list of events (issue 13: "a list of events"): every event, newest first,
// with its status and progress, and a button that makes it the page's event. Pages of 20 from
// GET /api/admin/events, "load more" for the next (cursor pagination, like the orders).
import type { AdminEvent, EventCounts } from "../../client/api-types";
import { adminApi } from "../shared/admin-api";
import { $, $button, h } from "../shared/dom";
import { formatTime, t } from "../shared/i18n";
import { MESSAGES, type MessageKey } from "../shared/messages";

const PAGE = 20;

interface Row {
	event: AdminEvent;
	counts: EventCounts;
}

export class EventList {
	private rows: Row[] = [];
	private cursor: string | null = null;

	constructor(
		/** The page's event now (its row is marked). */
		private readonly current: () => string,
		/** The operator chose an event from the list. */
		private readonly open: (eventId: string) => void,
	) {
		$("#events-more").addEventListener("click", () => void this.more().catch(() => undefined));
	}

	/** Reads the first page again (after signing in, creating an event, or an event's change). */
	async reload(): Promise<void> {
		const page = await this.fetch(null);
		this.rows = page.events;
		this.cursor = page.nextCursor;
		this.render();
	}

	clear(): void {
		this.rows = [];
		this.cursor = null;
		$("#event-list").replaceChildren();
		$button("#events-more").hidden = true;
	}

	private async more(): Promise<void> {
		if (!this.cursor) return;
		const page = await this.fetch(this.cursor);
		const known = new Set(this.rows.map((r) => r.event.id));
		this.rows.push(...page.events.filter((r) => !known.has(r.event.id)));
		this.cursor = page.nextCursor;
		this.render();
	}

	private fetch(cursor: string | null): Promise<{ events: Row[]; nextCursor: string | null }> {
		const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
		return adminApi("GET", `/api/admin/events?limit=${PAGE}${query}`);
	}

	render(): void {
		const root = $("#event-list");
		$button("#events-more").hidden = this.cursor === null;
		if (this.rows.length === 0) {
			root.replaceChildren(h("p", { class: "muted", text: t("eventsEmpty") }));
			return;
		}
		const head = ["colEventName", "colEventId", "colEventState", "colStartsAt", "colProgress"] as const;
		const current = this.current();
		root.replaceChildren(
			h(
				"table",
				{ class: "data event-list" },
				h(
					"thead",
					{},
					h(
						"tr",
						{},
						...head.map((k) => h("th", { scope: "col", text: t(k) })),
						h("th", { scope: "col" }, h("span", { class: "visually-hidden", text: t("openEvent") })),
					),
				),
				h(
					"tbody",
					{},
					...this.rows.map(({ event, counts }) => {
						const isCurrent = event.id === current;
						const open = h("button", {
							type: "button",
							text: t("openEvent"),
							"aria-label": t("openEventLabel", { name: event.name }),
							disabled: isCurrent,
						});
						open.addEventListener("click", () => this.open(event.id));
						return h(
							"tr",
							{ "data-event": event.id, "aria-current": isCurrent ? "true" : undefined },
							h("th", { scope: "row", text: event.name }),
							h("td", { class: "mono", text: event.id }),
							h("td", { class: "nowrap", text: stateName(event.status) }),
							h("td", { text: formatTime(event.startsAt) }),
							// Broken only between its parts (" · "), never inside "已售 33".
							h(
								"td",
								{},
								...t("eventProgress", { ...counts })
									.split(" · ")
									.flatMap((part, i) => [i > 0 ? " · " : null, h("span", { class: "nowrap", text: part })]),
							),
							h("td", { class: "nowrap" }, isCurrent ? h("span", { class: "muted", text: t("eventsCurrent") }) : open),
						);
					}),
				),
			),
		);
	}
}

function stateName(state: string): string {
	const key = `state_${state}` as MessageKey;
	return key in MESSAGES.zh ? t(key) : state;
}
