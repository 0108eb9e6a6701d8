// The unit grid shared by the buyer page and the sales dashboard: one table per building, floors top
// down, units across. Every cell is a real <button> (keyboard, screen readers) whose label says the
// unit and its status; arrow keys move between cells like in a spreadsheet. Options let a page make
// the whole grid one Tab stop (roving tabindex) and name and mark cells its own way (the buyer's own
// units); without them the grid behaves as it always has.
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

/** How a page names and marks one cell. */
export interface CellText {
	/** The cell's accessible name; it must contain the visible text (the number, then the tag). */
	label: string;
	/** A short word shown under the number ("我的"), so that a state is not told by colour alone. */
	tag?: string | undefined;
	/** An extra class for the cell's look. */
	className?: string | undefined;
}

export interface GridOptions {
	/**
	 * The whole grid is one Tab stop (roving tabindex): Tab enters at the selected (or last visited)
	 * unit and the next Tab leaves the grid; arrows move within it, also across buildings.
	 */
	rovingTabIndex?: boolean;
	/** The page's own naming of a cell; the default says the unit and its status for staff. */
	cellText?: (unit: GridUnit) => CellText;
}

export class UnitGrid {
	private readonly units = new Map<string, GridUnit>();
	private readonly cells = new Map<string, HTMLButtonElement>();
	private selected: string | null = null;
	/** With a roving tabindex: the one cell that Tab reaches. */
	private tabStop: string | null = null;
	/** Which units have a cell (the buyer page's filters); the others are kept and updated, not shown. */
	private shows: (unit: GridUnit) => boolean = () => true;

	constructor(
		private readonly root: HTMLElement,
		private readonly currency: () => string,
		private readonly onSelect: (unit: GridUnit) => void,
		private readonly options: GridOptions = {},
	) {
		root.addEventListener("keydown", (e) => this.onKey(e));
		if (options.rovingTabIndex) {
			root.addEventListener("focusin", (e) => {
				const id = e.target instanceof HTMLButtonElement ? e.target.dataset.id : undefined;
				if (id) this.setTabStop(id);
			});
		}
	}

	/**
	 * Shows only the units `shows` accepts (null: all) and returns how many that is. The units left out
	 * keep their live status, so widening the filter again shows them as they are now.
	 */
	filter(shows: ((unit: GridUnit) => boolean) | null): number {
		this.shows = shows ?? (() => true);
		this.render(this.all());
		return this.cells.size;
	}

	/** Replaces the whole grid (first load, language change); only the units the filter shows get a cell. */
	render(listings: GridUnit[]): void {
		this.units.clear();
		this.cells.clear();
		for (const l of listings) this.units.set(l.id, l);
		const buildings = new Map<string, GridUnit[]>();
		for (const l of listings) {
			if (this.shows(l)) buildings.set(l.building, [...(buildings.get(l.building) ?? []), l]);
		}
		const tables = [...buildings].map(([building, units]) => this.table(building, units));
		this.root.replaceChildren(...tables);
		if (this.selected) this.cells.get(this.selected)?.setAttribute("aria-pressed", "true");
		if (this.options.rovingTabIndex) {
			const stop = [this.selected, this.tabStop].find((id) => id !== null && this.cells.has(id));
			this.tabStop = null;
			const first = this.root.querySelector<HTMLButtonElement>("button.unit")?.dataset.id;
			const id = stop ?? first;
			if (id) this.setTabStop(id);
		}
	}

	/** Paints every cell again (what the page knows about them changed, not their status). */
	repaint(): void {
		for (const [id, cell] of this.cells) {
			const unit = this.units.get(id);
			if (unit) this.paint(cell, unit);
		}
	}

	/** No unit selected (the buyer logged out). */
	deselect(): void {
		if (this.selected) this.cells.get(this.selected)?.setAttribute("aria-pressed", "false");
		this.selected = null;
	}

	/** A live update: only the one cell changes. */
	update(id: string, available: number, status: UnitStatus): GridUnit | null {
		const unit = this.units.get(id);
		if (!unit) return null;
		unit.available = available;
		unit.status = status;
		const cell = this.cells.get(id);
		if (cell) this.paint(cell, unit);
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
		if (this.options.rovingTabIndex) button.tabIndex = -1;
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

	private setTabStop(id: string): void {
		if (this.tabStop === id) return;
		if (this.tabStop) {
			const previous = this.cells.get(this.tabStop);
			if (previous) previous.tabIndex = -1;
		}
		const cell = this.cells.get(id);
		if (!cell) return;
		cell.tabIndex = 0;
		this.tabStop = id;
	}

	private paint(cell: HTMLButtonElement, unit: GridUnit): void {
		const own = this.options.cellText?.(unit);
		cell.className = `unit unit--${unit.status}${own?.className ? ` ${own.className}` : ""}`;
		cell.dataset.status = unit.status;
		if (own) {
			// The space keeps the visible text ("1502 我的") inside the accessible name (WCAG 2.5.3).
			cell.replaceChildren(
				`${unit.floor}${unit.unit}`,
				...(own.tag ? [" ", h("span", { class: "unit-tag", text: own.tag })] : []),
			);
			cell.setAttribute("aria-label", own.label);
			return;
		}
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

	/**
	 * Arrow keys move focus across the grid (rows and columns of the same building). With a roving
	 * tabindex the grid is a single Tab stop, so arrows also lead on to the next building (past the
	 * last column or row) and back, and Home/End go to the ends of the row.
	 */
	private onKey(e: KeyboardEvent): void {
		const moves: Record<string, [number, number]> = {
			ArrowUp: [-1, 0],
			ArrowDown: [1, 0],
			ArrowLeft: [0, -1],
			ArrowRight: [0, 1],
		};
		const target = e.target;
		if (!(target instanceof HTMLButtonElement)) return;
		const td = target.closest("td");
		const tr = td?.parentElement;
		const tbody = tr?.parentElement;
		if (!td || !(tr instanceof HTMLTableRowElement) || !tbody) return;
		const rows = [...tbody.children];
		const rowIndex = rows.indexOf(tr);
		let next: HTMLButtonElement | null = null;
		if (this.options.rovingTabIndex && (e.key === "Home" || e.key === "End")) {
			const cells = [...tr.querySelectorAll<HTMLButtonElement>("button.unit")];
			next = (e.key === "Home" ? cells[0] : cells.at(-1)) ?? null;
		} else {
			const move = moves[e.key];
			if (!move) return;
			// Gaps (no unit there, or one the filters leave out) are stepped over.
			let row = rowIndex + move[0];
			let col = td.cellIndex + move[1];
			while (!next && rows[row]?.children[col]) {
				next = rows[row]?.children[col]?.querySelector("button") ?? null;
				row += move[0];
				col += move[1];
			}
			if (!next && this.options.rovingTabIndex) next = this.acrossBuildings(tbody, rowIndex, td.cellIndex, move);
		}
		if (next) {
			e.preventDefault();
			next.focus();
		}
	}

	/** Past the edge of one building's table: the nearest cell of the next (or previous) building. */
	private acrossBuildings(
		tbody: Element,
		row: number,
		col: number,
		[down, right]: [number, number],
	): HTMLButtonElement | null {
		const bodies = [...this.root.querySelectorAll("table.unit-grid tbody")];
		const other = bodies[bodies.indexOf(tbody) + (down + right > 0 ? 1 : -1)];
		if (!other) return null;
		const rows = [...other.children];
		// Right/left keep the floor row; down/up keep the column and start at the top/bottom.
		const targetRow = right !== 0 ? rows[Math.min(row, rows.length - 1)] : rows[down > 0 ? 0 : rows.length - 1];
		const cells = [...(targetRow?.querySelectorAll<HTMLButtonElement>("button.unit") ?? [])];
		if (right > 0) return cells[0] ?? null;
		if (right < 0) return cells.at(-1) ?? null;
		return (targetRow?.children[col]?.querySelector("button") as HTMLButtonElement | null) ?? cells[0] ?? null;
	}
}
