// The dashboard's sales control sheet (销控表, issue 13) for the sales manager: every unit on hold,
// least time left first, with the buyer's name and a tap-to-call phone; totals and sell-through by
// building and by layout; and both as CSV (UTF-8 with BOM, Beijing time, readable unit names). The
// rows and the CSV are web/shared/sales-sheet.ts; this module reads the data and draws it.
//
// The data: D1's orders (a second or so behind the live grid), the public catalogue and the buyers.
// It is read again when the live feed says a unit changed (debounced: D1 trails the feed), every
// 15 s while the page is visible, and on the refresh button.
import type { Order } from "../../client/api-types";
import { allOrders } from "../shared/admin-api";
import { $, download, h, say } from "../shared/dom";
import { describeError } from "../shared/errors";
import { formatCountdown, lang, t } from "../shared/i18n";
import {
	holdsByTimeLeft,
	holdsCsv,
	percent,
	type SheetHold,
	type SheetTotal,
	type SheetUnit,
	summaryCsv,
	totalsBy,
} from "../shared/sales-sheet";
import { type BuyerDirectory, buyerContact } from "./buyer-directory";

const CHANGE_DEBOUNCE_MS = 1_500;
const REFRESH_MS = 15_000;

interface Source {
	eventId: string;
	holdSeconds: number;
	units: () => SheetUnit[];
}

export class SalesSheet {
	private source: Source | null = null;
	private orders: Order[] = [];
	private holds: SheetHold[] = [];
	private debounce: ReturnType<typeof setTimeout> | null = null;
	private readonly timer: ReturnType<typeof setInterval>;
	private loading = false;

	constructor(private readonly directory: BuyerDirectory) {
		// A table that scrolls sideways on a phone is reachable from the keyboard, named by its heading.
		for (const wrap of document.querySelectorAll<HTMLElement>("#sales-sheet .table-wrap[data-labelled-by]")) {
			wrap.tabIndex = 0;
			wrap.setAttribute("role", "region");
			wrap.setAttribute("aria-labelledby", wrap.dataset.labelledBy ?? "");
		}
		$("#sales-refresh").addEventListener("click", () => void this.load());
		$("#export-holds").addEventListener("click", () => this.exportHolds());
		$("#export-summary").addEventListener("click", () => this.exportSummary());
		this.timer = setInterval(() => {
			if (this.source && document.visibilityState === "visible") void this.load();
		}, REFRESH_MS);
	}

	/** The dashboard connected to an event: read and draw its sheet. */
	connect(source: Source): void {
		this.source = source;
		this.orders = [];
		this.holds = [];
		void this.load();
	}

	stop(): void {
		this.source = null;
		if (this.debounce) clearTimeout(this.debounce);
		this.debounce = null;
		for (const id of ["#sales-holds", "#sales-by-building", "#sales-by-layout"]) $(id).replaceChildren();
		say($("#sales-updated"), "");
	}

	/** A unit changed on the live feed: read again once D1 has caught up. */
	changed(): void {
		if (!this.source) return;
		if (this.debounce) clearTimeout(this.debounce);
		this.debounce = setTimeout(() => void this.load(), CHANGE_DEBOUNCE_MS);
	}

	/** Drawn again in the page's language. */
	redraw(): void {
		if (this.source) this.draw();
	}

	/** For tests and the page: the whole clock stops with the page. */
	dispose(): void {
		clearInterval(this.timer);
	}

	private async load(): Promise<void> {
		const source = this.source;
		if (!source || this.loading) return;
		this.loading = true;
		try {
			const orders = await allOrders(source.eventId);
			await this.directory.ensure(
				source.eventId,
				orders.filter((o) => o.status === "held").map((o) => o.buyerId),
			);
			if (this.source !== source) return;
			this.orders = orders;
			this.draw();
			say(
				$("#sales-updated"),
				t("salesSheetUpdated", {
					time: new Date().toLocaleTimeString(lang() === "zh" ? "zh-CN" : "en-GB", { hourCycle: "h23" }),
				}),
			);
		} catch (err) {
			say($("#sales-updated"), describeError(err), "error");
		} finally {
			this.loading = false;
		}
	}

	private catalogue(): { units: SheetUnit[]; byId: Map<string, SheetUnit> } {
		const units = this.source?.units() ?? [];
		return { units, byId: new Map(units.map((u) => [u.id, u])) };
	}

	private draw(): void {
		const source = this.source;
		if (!source) return;
		const { units, byId } = this.catalogue();
		this.holds = holdsByTimeLeft(this.orders, byId, this.directory.contacts(), source.holdSeconds);
		$("#sales-holds").replaceChildren(this.holdsTable());
		$("#sales-by-building").replaceChildren(totalsTable("colBuilding", totalsBy("building", units, this.orders)));
		$("#sales-by-layout").replaceChildren(totalsTable("colLayout", totalsBy("layout", units, this.orders)));
	}

	private holdsTable(): HTMLElement {
		if (this.holds.length === 0) return h("p", { class: "muted", text: t("salesSheetNoHolds") });
		const masked = this.directory.masked;
		const head = ["colUnit", "colBuyerName", "colTimeLeft", "colHeldAt"] as const;
		return h(
			"div",
			{},
			masked ? h("p", { class: "muted", text: t("phonesMasked") }) : null,
			h(
				"table",
				{ class: "data sales-holds" },
				h("thead", {}, h("tr", {}, ...head.map((k) => h("th", { scope: "col", text: t(k) })))),
				h(
					"tbody",
					{},
					...this.holds.map((hold) => {
						const left = hold.expiresAt - Date.now();
						return h(
							"tr",
							{ "data-hold": hold.holdId },
							h("th", { scope: "row", class: "nowrap", text: hold.unit }),
							h("td", {}, buyerContact(hold.buyerId, this.directory.get(hold.buyerId), masked)),
							h(
								"td",
								{},
								// Painted every second by the dashboard's clock (.hold-left[data-expires]).
								h("span", {
									class: "hold-left",
									"data-expires": String(hold.expiresAt),
									"data-overdue": String(left <= 0),
									text: left > 0 ? t("holdExpiresIn", { time: formatCountdown(left) }) : t("holdOverdue"),
								}),
							),
							h("td", {
								text: new Date(hold.heldAt).toLocaleTimeString(lang() === "zh" ? "zh-CN" : "en-GB", {
									hourCycle: "h23",
								}),
							}),
						);
					}),
				),
			),
		);
	}

	private exportHolds(): void {
		const source = this.source;
		if (!source) return;
		download(`holds-${source.eventId}.csv`, holdsCsv(this.holds, lang()));
		say($("#sales-updated"), t("exportedRows", { n: this.holds.length }));
	}

	private exportSummary(): void {
		const source = this.source;
		if (!source) return;
		const { units } = this.catalogue();
		const text = summaryCsv(totalsBy("building", units, this.orders), totalsBy("layout", units, this.orders), lang());
		download(`sales-summary-${source.eventId}.csv`, text);
		say($("#sales-updated"), t("exportedRows", { n: text.split("\r\n").length - 2 }));
	}
}

function totalsTable(groupKey: "colBuilding" | "colLayout", totals: ReturnType<typeof totalsBy>): HTMLElement {
	const head = [groupKey, "colUnits", "colSold", "colHeldNow", "colAvailableNow", "colSellThrough"] as const;
	const row = (g: SheetTotal) =>
		h(
			"tr",
			{ class: g.group === null ? "total" : undefined },
			h("th", { scope: "row", text: g.group ?? t("salesTotal") }),
			...[g.units, g.sold, g.held, g.available].map((n) => h("td", { class: "num", text: String(n) })),
			h("td", { class: "num", text: percent(g.sellThrough) }),
		);
	return h(
		"table",
		{ class: "data sales-totals" },
		h("thead", {}, h("tr", {}, ...head.map((k) => h("th", { scope: "col", text: t(k) })))),
		h("tbody", {}, ...totals.groups.map(row)),
		h("tfoot", {}, row(totals.total)),
	);
}
