// A rehearsal (模拟开盘, docs/API.md "Rehearsal") is marked on every page that shows one: a band under
// the header that says it is a practice copy and of which event, so nobody mistakes its grid, its
// draw or its orders for the real opening's. The event's name carries a prefix too (the server's).
import { h } from "./dom";
import { t } from "./i18n";

/** Shows or removes the band for the page's event (null: no event, or a real one). */
export function markRehearsal(event: { rehearsalOf: string | null } | null): void {
	let band = document.getElementById("rehearsal-band");
	const of = event?.rehearsalOf ?? null;
	document.body.dataset.rehearsal = String(of !== null);
	if (of === null) {
		band?.remove();
		return;
	}
	if (!band) {
		band = h("p", { id: "rehearsal-band", class: "rehearsal-band", role: "note" });
		document.querySelector("header.top")?.after(band);
	}
	band.textContent = t("rehearsalBand", { of });
}
