// The unit grid shared by the buyer page and the sales dashboard: one table per building, floors top
// down, units across. Every cell is a real <button> (keyboard, screen readers) whose label says the
// unit and its status; arrow keys move between cells like in a spreadsheet.
import type { Listing } from "../../client/kaipan-client";
import { h } from "./dom";
import { formatMoney, t } from "./i18n";
import type { MessageKey } from "./messages";

export type UnitStatus = "available" | "held" | "sold";

export interface GridUnit extends Listing {
	status: UnitStatus;
}

export function initialStatus(l: Listing): UnitStatus {
	return l.available > 0 ? "available" : "held";
}

export class UnitGrid {
	private readonly units = new Map<string, GridUnit>();
	private readonly cells = new Map<string, HTMLButtonElement>();
	private selected: string | null = null;

	constructor(
		private readonly root: HTMLElement,
		private readonly currency: () => string,
		private readonly onSelect: (unit: GridUnit) => void,
	) {
		root.addEventListener("keydown", (e) => this.onKey(e));
	}

	/** Replaces the whole grid (first load, language change). */
	render(listings: GridUnit[]): void {
		this.units.clear();
		this.cells.clear();
		for (const l of listings) this.units.set(l.id, l);
		const buildings = new Map<string, GridUnit[]>();
		for (const l of listings) buildings.set(l.building, [...(buildings.get(l.building) ?? []), l]);
		const tables = [...buildings].map(([building, units]) => this.table(building, units));
		this.root.replaceChildren(...tables);
		if (this.selected) this.cells.get(this.selected)?.setAttribute("aria-pressed", "true");
	}

	/** A live update: only the one cell changes. */
	update(id: string, available: number, status: UnitStatus): GridUnit | null {
		const unit = this.units.get(id);
		const cell = this.cells.get(id);
		if (!unit || !cell) return null;
		unit.available = available;
		unit.status = status;
		this.paint(cell, unit);
		return unit;
	}

	get(id: string): GridUnit | undefined {
		return this.units.get(id);
	}

	all(): GridUnit[] {
		return [...this.units.values()];
	}

	private table(building: string, units: GridUnit[]): HTMLElement {
		const floors = [...new Set(units.map((u) => u.floor))].sort((a, b) => b - a);
		const columns = [...new Set(units.map((u) => u.unit))].sort();
		const byKey = new Map(units.map((u) => [`${u.floor}/${u.unit}`, u]));
		const rows = floors.map((floor) =>
			h(
				"tr",
				{},
				h("th", { scope: "row", text: t("floorLabel", { n: floor }) }),
				...columns.map((col) => {
					const unit = byKey.get(`${floor}/${col}`);
					return h("td", {}, unit ? this.cell(unit) : null);
				}),
			),
		);
		return h(
			"table",
			{ class: "unit-grid" },
			h("caption", { text: building }),
			h("thead", {}, h("tr", {}, h("td", {}), ...columns.map((c) => h("th", { scope: "col", text: c })))),
			h("tbody", {}, ...rows),
		);
	}

	private cell(unit: GridUnit): HTMLButtonElement {
		const button = h("button", { type: "button", class: "unit", "data-id": unit.id, "aria-pressed": "false" });
		button.addEventListener("click", () => {
			if (this.selected) this.cells.get(this.selected)?.setAttribute("aria-pressed", "false");
			this.selected = unit.id;
			button.setAttribute("aria-pressed", "true");
			this.onSelect(unit);
		});
		this.cells.set(unit.id, button);
		this.paint(button, unit);
		return button;
	}

	private paint(cell: HTMLButtonElement, unit: GridUnit): void {
		cell.className = `unit unit--${unit.status}`;
		cell.dataset.status = unit.status;
		cell.textContent = `${unit.floor}${unit.unit}`;
		cell.setAttribute(
			"aria-label",
			t("unitAria", {
				building: unit.building,
				floor: unit.floor,
				unit: unit.unit,
				layout: unit.layout,
				area: unit.areaM2,
				price: formatMoney(unit.priceCents, this.currency()),
				status: t(`unitStatus_${unit.status}` as MessageKey),
			}),
		);
	}

	/** Arrow keys move focus across the grid (rows and columns of the same building). */
	private onKey(e: KeyboardEvent): void {
		const moves: Record<string, [number, number]> = {
			ArrowUp: [-1, 0],
			ArrowDown: [1, 0],
			ArrowLeft: [0, -1],
			ArrowRight: [0, 1],
		};
		const move = moves[e.key];
		const target = e.target;
		if (!move || !(target instanceof HTMLButtonElement)) return;
		const td = target.closest("td");
		const tr = td?.parentElement;
		const tbody = tr?.parentElement;
		if (!td || !(tr instanceof HTMLTableRowElement) || !tbody) return;
		const row = [...tbody.children].indexOf(tr) + move[0];
		const col = td.cellIndex + move[1];
		const next = tbody.children[row]?.children[col]?.querySelector("button");
		if (next) {
			e.preventDefault();
			next.focus();
		}
	}
}
