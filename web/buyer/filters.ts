// Finding units (issue 13): filters by building, floor range, layout and price range (万元) above the
// buyer's grid. The grid then shows only the matching units and the page says how many match.
//
// The state lives in the form's own controls, which nothing else touches: live updates repaint cells
// and re-render the grid but never the form, so a filter stays as the buyer set it while units change
// hands. Native controls (select, number inputs, a <details> to fold it away on a phone) give keyboard
// use and screen-reader names for free; the count is a polite live region.
import type { Listing } from "../../client/kaipan-client";
import { h } from "../shared/dom";
import { onLangChange, t } from "../shared/i18n";
import type { MessageKey } from "../shared/messages";
import { wanToCents } from "./price";

export interface FilterState {
	building: string;
	layout: string;
	floorMin: number | null;
	floorMax: number | null;
	priceMinCents: number | null;
	priceMaxCents: number | null;
}

export const NO_FILTER: FilterState = {
	building: "",
	layout: "",
	floorMin: null,
	floorMax: null,
	priceMinCents: null,
	priceMaxCents: null,
};

/** Whether a unit passes the filters; an empty field filters nothing. Bounds are inclusive. */
export function matches(unit: Listing, f: FilterState): boolean {
	return (
		(f.building === "" || unit.building === f.building) &&
		(f.layout === "" || unit.layout === f.layout) &&
		(f.floorMin === null || unit.floor >= f.floorMin) &&
		(f.floorMax === null || unit.floor <= f.floorMax) &&
		(f.priceMinCents === null || unit.priceCents >= f.priceMinCents) &&
		(f.priceMaxCents === null || unit.priceCents <= f.priceMaxCents)
	);
}

export function isEmpty(f: FilterState): boolean {
	return Object.entries(f).every(([key, value]) => value === NO_FILTER[key as keyof FilterState]);
}

const floorOf = (text: string): number | null => (/^-?\d+$/.test(text.trim()) ? Number(text.trim()) : null);

/** Sorted the way a buyer reads them: "2号楼" before "10号楼". */
const byNatural = new Intl.Collator("zh-CN", { numeric: true }).compare;

export class UnitFilters {
	private readonly building = h("select", { id: "filter-building" });
	private readonly layout = h("select", { id: "filter-layout" });
	private readonly floorMin = numberInput("filter-floor-min", "numeric");
	private readonly floorMax = numberInput("filter-floor-max", "numeric");
	private readonly priceMin = numberInput("filter-price-min", "decimal");
	private readonly priceMax = numberInput("filter-price-max", "decimal");
	private readonly reset = h("button", { type: "button", id: "filter-reset" });
	private readonly details = h("details", { class: "filters" });
	private readonly summary = h("summary", {});
	private readonly count = h("p", { id: "filter-count", class: "filter-count", role: "status", "aria-live": "polite" });
	private readonly labels: [HTMLElement, MessageKey][] = [];
	private units: Listing[] = [];

	/** `changed` is called with the new filter whenever the buyer changes one. */
	constructor(
		root: HTMLElement,
		private readonly changed: (state: FilterState) => void,
	) {
		const field = (key: MessageKey, control: HTMLElement) => {
			const label = h("label", { for: control.id });
			this.labels.push([label, key]);
			return h("div", { class: "filter-field" }, label, control);
		};
		this.details.append(
			this.summary,
			h(
				"div",
				{ class: "filter-fields" },
				field("filterBuilding", this.building),
				field("filterLayout", this.layout),
				field("filterFloorMin", this.floorMin),
				field("filterFloorMax", this.floorMax),
				field("filterPriceMin", this.priceMin),
				field("filterPriceMax", this.priceMax),
			),
			h("div", { class: "row" }, this.reset),
		);
		// Open on a desktop, folded on a phone (where the grid needs the screen).
		this.details.open = window.matchMedia("(min-width: 900px)").matches;
		root.replaceChildren(this.details, this.count);
		for (const control of [this.building, this.layout]) control.addEventListener("change", () => this.apply());
		for (const control of [this.floorMin, this.floorMax, this.priceMin, this.priceMax]) {
			control.addEventListener("input", () => this.apply());
		}
		this.reset.addEventListener("click", () => {
			this.building.value = "";
			this.layout.value = "";
			for (const input of [this.floorMin, this.floorMax, this.priceMin, this.priceMax]) input.value = "";
			this.apply();
			this.building.focus();
		});
		onLangChange(() => this.renderText());
		this.renderText();
	}

	/** The catalogue is known (or changed): the choices follow it, the buyer's choice stays. */
	setUnits(units: Listing[]): void {
		this.units = units;
		fillOptions(this.building, [...new Set(units.map((u) => u.building))].sort(byNatural));
		fillOptions(this.layout, [...new Set(units.map((u) => u.layout))].sort(byNatural));
		const floors = units.map((u) => u.floor);
		for (const input of [this.floorMin, this.floorMax]) {
			input.min = String(Math.min(...floors));
			input.max = String(Math.max(...floors));
		}
	}

	state(): FilterState {
		return {
			building: this.building.value,
			layout: this.layout.value,
			floorMin: floorOf(this.floorMin.value),
			floorMax: floorOf(this.floorMax.value),
			priceMinCents: wanToCents(this.priceMin.value),
			priceMaxCents: wanToCents(this.priceMax.value),
		};
	}

	/** How many units the grid shows now; said under the form (and in the folded summary). */
	showCount(shown: number): void {
		const total = this.units.length;
		const filtered = !isEmpty(this.state());
		this.count.dataset.shown = String(shown);
		this.count.textContent =
			shown === 0 && total > 0
				? t("filterNone")
				: filtered
					? t("filterCount", { n: shown, total })
					: t("filterCountAll", { total });
		this.details.dataset.filtered = filtered ? "true" : "false";
	}

	private apply(): void {
		this.changed(this.state());
	}

	private renderText(): void {
		this.summary.textContent = t("filtersToggle");
		for (const [label, key] of this.labels) label.textContent = t(key);
		this.reset.textContent = t("filterReset");
		for (const select of [this.building, this.layout]) {
			const all = select.querySelector<HTMLOptionElement>('option[value=""]');
			if (all) all.textContent = t("filterAll");
		}
		if (this.count.dataset.shown !== undefined) this.showCount(Number(this.count.dataset.shown));
	}
}

function numberInput(id: string, mode: "numeric" | "decimal"): HTMLInputElement {
	return h("input", { id, type: "number", inputmode: mode, step: mode === "numeric" ? "1" : "any", min: "0" });
}

function fillOptions(select: HTMLSelectElement, values: string[]): void {
	const chosen = select.value;
	select.replaceChildren(
		h("option", { value: "", text: t("filterAll") }),
		...values.map((v) => h("option", { value: v, text: v })),
	);
	select.value = values.includes(chosen) ? chosen : "";
}
