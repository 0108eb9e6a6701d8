// The dashboard in a lottery event (issue 12): which batch is entering now (its number, its buyers in
// order, the time to the next one) and, before the opening, the wish heat map — how many wish lists
// name each unit and how many put it first — so that sales staff know where the rush will go.
//
// The batch is computed as the server computes entry times (API.md: openedAt + floor(p / batchSize) ×
// batchSeconds, openedAt as lib/event-rules.ts defines it) from the admin event, the public draw and
// the server's clock; it is redrawn every second and says only what holds at that second.
import type { AdminEvent, WishHeat } from "../../client/api-types";
import { adminApi, eventPath } from "../shared/admin-api";
import { $, h } from "../shared/dom";
import { formatCountdown, formatTime, t } from "../shared/i18n";
import { batchAt, fetchDraw, openedAt, type PublicDraw } from "../shared/lottery-api";

const REFRESH_MS = 5_000;
/** The heat map lists this many units, hottest first. */
const HEAT_ROWS = 15;

export interface BatchHost {
	/** A unit's name as the grid knows it ("1号楼 1502"), or its id. */
	label(listingId: string): string;
}

export class BatchAndHeat {
	private eventId: string | null = null;
	private event: AdminEvent | null = null;
	private draw: PublicDraw | null = null;
	private heat: WishHeat[] | null = null;
	private heatFailed = false;
	private clockOffset = 0;
	private timer: ReturnType<typeof setInterval> | null = null;
	private ticker: ReturnType<typeof setInterval> | null = null;
	private shownBatch = "";
	private readonly panel = $("#lottery-dash");

	constructor(private readonly host: BatchHost) {
		// A table that may scroll is reachable from the keyboard, as a region named by its heading.
		const wrap = $("#wish-heat");
		wrap.tabIndex = 0;
		wrap.setAttribute("role", "region");
		wrap.setAttribute("aria-labelledby", "heat-heading");
	}

	/** The page connected to an event: a lottery shows the panel and keeps it current. */
	start(eventId: string): void {
		this.stop();
		this.eventId = eventId;
		void this.refresh();
		this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
		this.ticker = setInterval(() => this.renderBatch(), 1_000);
	}

	stop(): void {
		if (this.timer) clearInterval(this.timer);
		if (this.ticker) clearInterval(this.ticker);
		this.timer = null;
		this.ticker = null;
		this.eventId = null;
		this.event = null;
		this.draw = null;
		this.heat = null;
		this.shownBatch = "";
		this.panel.hidden = true;
	}

	/** The language changed: everything said again. */
	relabel(): void {
		if (this.panel.hidden) return;
		this.shownBatch = "";
		this.renderBatch();
		this.renderHeat();
	}

	private now(): number {
		return Date.now() + this.clockOffset;
	}

	private async refresh(): Promise<void> {
		const id = this.eventId;
		if (!id) return;
		try {
			const sentAt = Date.now();
			const res = await fetch(`/api/events/${encodeURIComponent(id)}`, { cache: "no-store" });
			const body = (await res.json()) as { serverTime?: string };
			if (body.serverTime) this.clockOffset = Date.parse(body.serverTime) - (sentAt + Date.now()) / 2;
			const { event } = await adminApi<{ event: AdminEvent }>("GET", eventPath(id));
			if (this.eventId !== id) return;
			this.event = event;
			if (event.mode !== "lottery") {
				this.panel.hidden = true;
				return;
			}
			if (this.draw?.status !== "drawn") this.draw = await fetchDraw(id);
			await this.refreshHeat(id);
		} catch {
			// Kept as last known; the page's own connection state says when the server is away.
		}
		if (this.eventId !== id || !this.event || this.event.mode !== "lottery") return;
		this.panel.hidden = false;
		this.shownBatch = "";
		this.renderBatch();
		this.renderHeat();
	}

	/** The heat map while wish lists can still change (before every batch has entered), then kept. */
	private async refreshHeat(id: string): Promise<void> {
		if (this.heat && this.allEntered()) return;
		try {
			const { listings } = await adminApi<{ listings: WishHeat[] }>("GET", `${eventPath(id)}/wishes`);
			this.heat = listings;
			this.heatFailed = false;
		} catch {
			this.heatFailed = true;
		}
	}

	private openedAtMs(): number | null {
		const ev = this.event;
		if (!ev) return null;
		return openedAt({ ...ev, drawnAt: this.draw?.drawnAt ?? null });
	}

	private batches(): number {
		const n = this.draw?.order?.length ?? this.draw?.buyerCount ?? 0;
		return Math.max(1, Math.ceil(n / (this.event?.batchSize ?? 1)));
	}

	private allEntered(): boolean {
		const at = this.openedAtMs();
		const ev = this.event;
		if (at === null || !ev || this.draw?.status !== "drawn") return false;
		return batchAt(this.now(), at, ev.batchSeconds) >= this.batches() - 1 && ev.status !== "scheduled";
	}

	/** Once a second: the batch entering now, or what comes first. */
	renderBatch(): void {
		const ev = this.event;
		if (ev?.mode !== "lottery" || this.panel.hidden) return;
		const box = $("#batch-now");
		const now = this.now();
		const draw = this.draw;
		if (draw?.status !== "drawn") {
			this.put(box, "pending", [h("p", { class: "batch-now", text: t("batchDrawPending") })]);
			return;
		}
		const at = this.openedAtMs() ?? now;
		const order = draw.order ?? [];
		const total = this.batches();
		if (ev.status === "closed" || Date.parse(ev.endsAt) <= now) {
			this.put(box, "closed", [h("p", { class: "batch-now", text: t("batchClosed") })]);
			return;
		}
		if (ev.status === "scheduled" || now < at) {
			this.put(box, `before|${formatCountdown(at - now)}`, [
				h("p", {
					class: "batch-next",
					text: t("batchBeforeOpen", {
						time: formatTime(new Date(at).toISOString()),
						left: formatCountdown(at - now),
						size: ev.batchSize,
						seconds: ev.batchSeconds,
					}),
				}),
			]);
			return;
		}
		const batch = batchAt(now, at, ev.batchSeconds);
		const paused = ev.status === "paused" ? h("p", { class: "muted", text: t("batchPaused") }) : null;
		if (batch >= total) {
			this.put(box, `all|${ev.status}`, [h("p", { class: "batch-now", text: t("batchAllIn", { total }) }), paused]);
			return;
		}
		const from = batch * ev.batchSize;
		const who = order.slice(from, from + ev.batchSize);
		const nextAt = at + (batch + 1) * ev.batchSeconds * 1000;
		const next = batch + 1 < total ? t("batchNext", { left: formatCountdown(nextAt - now) }) : t("batchLast");
		this.put(box, `${batch}|${next}|${ev.status}`, [
			h(
				"p",
				{ class: "batch-now", "data-batch": String(batch + 1) },
				t("batchNow", { batch: batch + 1, total, from: from + 1, to: from + who.length }),
			),
			h("p", { class: "batch-next", role: "timer", text: next }),
			paused,
			h("p", { class: "muted", id: "batch-who-label", text: t("batchWho") }),
			h(
				"ol",
				{ class: "batch-who", "aria-labelledby": "batch-who-label", start: String(from + 1) },
				...who.map((id) => h("li", { text: id })),
			),
		]);
	}

	/** Redraws only when what it says changed (screen readers and text selection stay calm). */
	private put(box: HTMLElement, key: string, children: (HTMLElement | null)[]): void {
		if (key === this.shownBatch) return;
		this.shownBatch = key;
		box.replaceChildren(...children.filter((c) => c !== null));
	}

	private renderHeat(): void {
		const box = $("#wish-heat");
		if (this.heatFailed && !this.heat) {
			box.replaceChildren(h("p", { class: "muted", text: t("heatUnavailable") }));
			return;
		}
		const rows = (this.heat ?? [])
			.filter((l) => l.wishes > 0)
			.sort((a, b) => b.wishes - a.wishes || b.firstChoice - a.firstChoice || (a.id < b.id ? -1 : 1));
		if (rows.length === 0) {
			box.replaceChildren(h("p", { class: "muted", text: t("heatEmpty") }));
			return;
		}
		const top = rows.slice(0, HEAT_ROWS);
		const max = top[0]?.wishes ?? 1;
		box.replaceChildren(
			h(
				"table",
				{ class: "heat", id: "heat-table" },
				h(
					"thead",
					{},
					h(
						"tr",
						{},
						h("th", { scope: "col", text: t("heatUnit") }),
						h("th", { scope: "col", text: t("heatWishes") }),
						h("th", { scope: "col", text: t("heatFirst") }),
						h("th", { scope: "col" }, h("span", { class: "visually-hidden", text: t("heatHeading") })),
					),
				),
				h(
					"tbody",
					{},
					...top.map((l) =>
						h(
							"tr",
							{ "data-id": l.id },
							h("th", { scope: "row", text: this.host.label(l.id) }),
							h("td", { class: "num", text: String(l.wishes) }),
							h("td", { class: "num", text: String(l.firstChoice) }),
							h("td", { "aria-hidden": "true" }, heatBar(l.wishes / max)),
						),
					),
				),
			),
			...(rows.length > HEAT_ROWS
				? [h("p", { class: "muted", text: t("heatMore", { n: rows.length - HEAT_ROWS }) })]
				: []),
		);
	}
}

/** A bar as long as the share; set through the CSSOM, which the pages' CSP (no inline styles) allows. */
function heatBar(share: number): HTMLElement {
	const bar = h("span", { class: "heat-bar" });
	bar.style.width = `${Math.round(share * 100)}%`;
	return bar;
}
