// The buyer's wish list (收藏, API.md v1.1) in a lottery event: before their entry the buyer stars units
// (from the claim panel), puts them in order with up/down buttons (real buttons: keyboard and screen
// readers), and turns auto-claim on or off, with a sentence that says exactly what the server will
// do and when. After entry the list is fixed (the server answers 409 event_locked) and becomes the
// buyer's short list: a tap selects a unit, and after losing one (sold_out) one tap claims the next
// wish that is still free.
//
// The list shown is the server's: every change is sent whole (PUT) and the answer is what is drawn;
// a refused change is put back and said why.
import type { PublicEvent } from "../../client/api-types";
import { $, $input, h, say } from "../shared/dom";
import { describeError, toErrorLike } from "../shared/errors";
import type { GridUnit } from "../shared/grid";
import { t } from "../shared/i18n";
import {
	AUTO_CLAIM_DELAY_DEFAULT,
	fetchWishlist,
	saveWishlist,
	WISHLIST_MAX,
	type Wishlist,
} from "../shared/lottery-api";
import { unitLabel } from "../shared/units";

export interface WishHost {
	event(): PublicEvent | null;
	signedIn(): boolean;
	unit(id: string): GridUnit | undefined;
	selected(): GridUnit | null;
	/** Whether the buyer's entry time has passed (the list is then fixed). */
	entered(): boolean;
	/** The entry time (server clock), for scheduling the look at auto-claim's result. */
	entryAt(): number | null;
	now(): number;
	/** Whether the buyer may still get a unit (below the limit). */
	mayClaimMore(): boolean;
	/** Selects a unit as a tap on its grid cell does. */
	select(unit: GridUnit): void;
	/** Selects and claims a unit (one tap). */
	claim(unit: GridUnit): void;
	/** Reads "my holds" again (auto-claim happens on the server, not in this page). */
	reloadHolds(): void;
}

/** The event's auto-claim delay (API.md: an event field, default 30 s). */
function autoClaimDelay(event: PublicEvent | null): number {
	return event?.autoClaimDelaySeconds ?? AUTO_CLAIM_DELAY_DEFAULT;
}

export class WishList {
	private list: Wishlist | null = null;
	private busy = false;
	/** The change being saved: shown at once (a switch that flicks back while saving would be a lie). */
	private pending: Wishlist | null = null;
	/** Whether the list was last drawn read-only (the tick redraws it when that changes). */
	private renderedLocked: boolean | null = null;
	/** Set once the server said the list is locked (its clock, not ours, is the last word). */
	private lockedByServer = false;
	private autoLookTimers: ReturnType<typeof setTimeout>[] = [];
	private readonly panel = $("#wish-panel");
	private readonly star = $("#wish-toggle") as HTMLButtonElement;
	private readonly autoSwitch = $input("#auto-claim");

	constructor(
		private readonly host: WishHost,
		private readonly active: () => boolean,
	) {
		this.star.addEventListener("click", () => {
			const unit = this.host.selected();
			if (unit) void this.toggle(unit.id);
		});
		this.autoSwitch.addEventListener("change", () => {
			if (!this.list) return;
			void this.save({ ...this.list, autoClaim: this.autoSwitch.checked });
		});
		$("#next-wish").addEventListener("click", () => {
			const id = ($("#next-wish") as HTMLButtonElement).dataset.id;
			const unit = id ? this.host.unit(id) : undefined;
			if (unit) this.host.claim(unit);
		});
	}

	ids(): string[] {
		return this.list?.listingIds ?? [];
	}

	/** Signed in: the buyer's list from the server. */
	async load(): Promise<void> {
		this.lockedByServer = false;
		if (!this.active() || !this.host.signedIn()) {
			this.list = null;
			this.render();
			return;
		}
		try {
			this.list = await fetchWishlist();
			this.scheduleAutoLook();
		} catch (err) {
			say($("#wish-message"), describeError(err), "error");
		}
		this.render();
	}

	/** Signed out: nothing of the buyer stays. */
	clear(): void {
		this.list = null;
		for (const timer of this.autoLookTimers) clearTimeout(timer);
		this.autoLookTimers = [];
		say($("#wish-message"), "");
		this.render();
	}

	private locked(): boolean {
		return this.lockedByServer || this.host.entered();
	}

	private async toggle(id: string): Promise<void> {
		if (!this.list) return;
		const ids = this.list.listingIds;
		const next = ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id];
		await this.save({ ...this.list, listingIds: next }, ids.includes(id) ? undefined : id);
	}

	private async move(index: number, by: -1 | 1, focusKey: "up" | "down"): Promise<void> {
		if (!this.list) return;
		const ids = [...this.list.listingIds];
		const other = index + by;
		const a = ids[index];
		const b = ids[other];
		if (a === undefined || b === undefined) return;
		ids[index] = b;
		ids[other] = a;
		await this.save({ ...this.list, listingIds: ids });
		// Focus follows the moved unit, on the same button if it can still move that way.
		const row = this.panel.querySelector<HTMLElement>(`li[data-id="${CSS.escape(a)}"]`);
		const again = row?.querySelector<HTMLButtonElement>(`button[data-move="${focusKey}"]:not(:disabled)`);
		(again ?? row?.querySelector<HTMLButtonElement>("button[data-move]:not(:disabled)"))?.focus();
	}

	private async remove(id: string): Promise<void> {
		if (!this.list) return;
		const index = this.list.listingIds.indexOf(id);
		await this.save({ ...this.list, listingIds: this.list.listingIds.filter((x) => x !== id) });
		// Focus goes to the row that took its place (or the switch when the list emptied).
		const rows = this.panel.querySelectorAll<HTMLElement>("#wish-list li[data-id]");
		const row = rows[Math.min(index, rows.length - 1)];
		(row?.querySelector<HTMLButtonElement>("button[data-remove]") ?? this.autoSwitch).focus();
	}

	/** Sends the whole list; the server's answer is what shows. */
	private async save(next: Wishlist, added?: string): Promise<void> {
		if (this.busy || !this.list) return;
		const message = $("#wish-message");
		this.busy = true;
		this.pending = next;
		this.render();
		say(message, t("wishSaving"));
		try {
			this.list = await saveWishlist(next);
			say(
				message,
				added ? t("wishAdded", { unit: this.label(added), n: this.list.listingIds.length }) : t("wishSaved"),
			);
			this.scheduleAutoLook();
		} catch (err) {
			const e = toErrorLike(err);
			if (e.code === "event_locked") {
				this.lockedByServer = true;
				say(message, t("wishLockedNow"), "error");
			} else {
				say(message, t("wishSaveFailed", { reason: describeError(err) }), "error");
			}
		} finally {
			this.busy = false;
			this.pending = null;
			this.render();
		}
	}

	/**
	 * Auto-claim runs on the server at entry + delay: the page looks at "my holds" a moment after that
	 * (and once more later), since a hold made by the system reaches no request of this page.
	 */
	private scheduleAutoLook(): void {
		for (const timer of this.autoLookTimers) clearTimeout(timer);
		this.autoLookTimers = [];
		const entry = this.host.entryAt();
		if (!this.list?.autoClaim || entry === null) return;
		const due = entry + autoClaimDelay(this.host.event()) * 1000 - this.host.now();
		for (const after of [1_500, 6_000]) {
			if (due + after > 0) this.autoLookTimers.push(setTimeout(() => this.host.reloadHolds(), due + after));
		}
	}

	/** A unit of the list changed (live feed, polling): its row says so, without redrawing the list. */
	unitChanged(id: string): void {
		const row = this.panel.querySelector<HTMLElement>(`#wish-list li[data-id="${CSS.escape(id)}"]`);
		const unit = this.host.unit(id);
		if (!row || !unit) return;
		const status = t(`buyerUnit_${unit.status}`);
		row.dataset.status = unit.status;
		const tag = row.querySelector<HTMLElement>(".wish-status");
		if (tag) {
			tag.textContent = status;
			tag.className = `wish-status status--${unit.status}`;
		}
	}

	/** The page's tick: the list turns read-only the moment the entry time passes. */
	tick(): void {
		if (this.list && this.renderedLocked !== this.locked()) this.render();
	}

	/** The entry time became known or changed: the look at auto-claim moves with it. */
	entryChanged(): void {
		this.scheduleAutoLook();
	}

	private label(id: string): string {
		const unit = this.host.unit(id);
		return unit ? unitLabel(unit) : id;
	}

	/** The first wish after `lost` (in the buyer's order) that is still free: the "next wish". */
	nextWish(lost: string): GridUnit | null {
		if (!this.active() || !this.host.mayClaimMore()) return null;
		const ids = this.ids();
		const from = ids.indexOf(lost);
		const candidates = from === -1 ? ids : [...ids.slice(from + 1), ...ids.slice(0, from)];
		for (const id of candidates) {
			const unit = this.host.unit(id);
			if (unit && unit.status === "available" && id !== lost) return unit;
		}
		return null;
	}

	/** The "next wish" button under a lost claim: shown only while there is one to take. */
	renderNext(lostUnit: GridUnit | null): void {
		const button = $("#next-wish") as HTMLButtonElement;
		const next = lostUnit && lostUnit.status !== "available" ? this.nextWish(lostUnit.id) : null;
		$("#next-wish-row").hidden = next === null;
		if (!next) return;
		const text = t("nextWish", { unit: unitLabel(next) });
		if (button.textContent !== text) button.textContent = text;
		button.dataset.id = next.id;
	}

	// --- drawing -------------------------------------------------------------------------------------

	render(): void {
		const list = this.pending ?? this.list;
		const shown = this.active() && this.host.signedIn() && list !== null;
		this.panel.hidden = !shown;
		this.renderStar();
		if (!shown || !list) return;
		const locked = this.locked();
		this.renderedLocked = locked;
		const ids = list.listingIds;
		$("#wish-note").textContent = locked ? t("wishLocked") : t("wishHelp", { n: WISHLIST_MAX });
		const listEl = $("#wish-list");
		if (ids.length === 0) {
			listEl.replaceChildren(h("li", { class: "muted wish-empty", text: t(locked ? "wishEmptyLocked" : "wishEmpty") }));
		} else {
			listEl.replaceChildren(...ids.map((id, i) => this.row(id, i, ids.length, locked)));
		}
		this.autoSwitch.checked = list.autoClaim;
		this.autoSwitch.disabled = locked || this.busy;
		const delay = autoClaimDelay(this.host.event());
		$("#auto-claim-help").textContent = [
			delay === 0 ? t("autoClaimHelpAtEntry") : t("autoClaimHelp", { delay }),
			list.autoClaim && ids.length === 0 ? t("autoClaimEmpty") : "",
		]
			.filter(Boolean)
			.join(" ");
	}

	private row(id: string, index: number, count: number, locked: boolean): HTMLElement {
		const unit = this.host.unit(id);
		const label = this.label(id);
		const status = unit ? t(`buyerUnit_${unit.status}`) : "";
		const name = h(
			"button",
			{ type: "button", class: "wish-unit link" },
			h("span", { class: "wish-rank", text: `${index + 1}.` }),
			" ",
			h("span", { text: label }),
			" ",
			h("span", { class: `wish-status status--${unit?.status ?? "held"}`, text: status }),
		);
		name.addEventListener("click", () => {
			if (unit) this.host.select(unit);
		});
		const item = h("li", { "data-id": id, "data-status": unit?.status ?? "" }, name);
		if (!locked) {
			const button = (text: string, attrs: Record<string, string>, disabled: boolean, run: () => void) => {
				const b = h("button", { type: "button", class: "small", text, "aria-label": `${text} ${label}`, ...attrs });
				b.disabled = disabled || this.busy;
				b.addEventListener("click", run);
				return b;
			};
			item.append(
				h(
					"span",
					{ class: "wish-actions" },
					button(t("wishUp"), { "data-move": "up" }, index === 0, () => void this.move(index, -1, "up")),
					button(t("wishDown"), { "data-move": "down" }, index === count - 1, () => void this.move(index, 1, "down")),
					button(t("wishRemove"), { "data-remove": "" }, false, () => void this.remove(id)),
				),
			);
		}
		return item;
	}

	/** The star in the claim panel: add or remove the selected unit, before entry only. */
	renderStar(): void {
		const unit = this.host.selected();
		const list = this.pending ?? this.list;
		const shown = this.active() && this.host.signedIn() && list !== null && unit !== null && !this.locked();
		this.star.hidden = !shown;
		if (!shown || !unit || !list) return;
		const inList = list.listingIds.includes(unit.id);
		const full = !inList && list.listingIds.length >= WISHLIST_MAX;
		// A toggle: one name ("收藏"), its state in aria-pressed and in the star's fill (seen, not read).
		const text = full ? t("wishFull", { n: WISHLIST_MAX }) : t("wishAdd");
		const mark = inList ? "★" : "☆";
		if (this.star.textContent !== `${mark} ${text}`) {
			this.star.replaceChildren(h("span", { "aria-hidden": "true", text: mark }), ` ${text}`);
		}
		this.star.setAttribute("aria-pressed", String(inList));
		this.star.dataset.wished = String(inList);
		this.star.disabled = full || this.busy;
	}
}
