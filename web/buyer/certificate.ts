// Finishing the purchase (issue 13): once staff confirm the deposit, the buyer's page says 认购成功 and
// shows a 认购确认书 for each confirmed unit, with a print button. The browser makes the PDF ("Save as
// PDF" in its print dialog); web/styles.css's `@media print` prints the certificates and nothing else.
//
// Everything on it comes from what the server said: the hold (id, status, confirmedAt from
// /api/me/holds), the catalogue (unit, area, price), the event's name and the login (buyer id and the
// registered name, when there is one). A hold not confirmed never shows one.
import type { Hold, Listing } from "../../client/kaipan-client";
import { h } from "../shared/dom";
import { lang, t } from "../shared/i18n";
import type { MessageKey } from "../shared/messages";
import { unitLabelOf } from "../shared/units";
import { formatBeijing } from "./beijing-time";
import { formatPerM2, formatTotal } from "./price";
import { orientationText } from "./unit-details";

export interface CertificateFacts {
	holds: readonly Hold[];
	find: (listingId: string) => Listing | undefined;
	eventName: string;
	currency: string;
	buyerId: string;
	buyerName: string | null | undefined;
}

/** Renders the certificates of the confirmed holds into `root`, or hides it when there are none. */
export function renderCertificates(root: HTMLElement, facts: CertificateFacts): void {
	const confirmed = facts.holds.filter((hold) => hold.status === "confirmed");
	root.hidden = confirmed.length === 0;
	if (confirmed.length === 0) {
		root.replaceChildren();
		return;
	}
	const print = h("button", {
		type: "button",
		class: "primary no-print",
		id: "print-certificate",
		text: t("certPrint"),
	});
	print.addEventListener("click", () => window.print());
	root.replaceChildren(
		h("h3", { class: "cert-success no-print", text: t("certHeading") }),
		...confirmed.map((hold) => certificate(hold, facts)),
		h("div", { class: "row no-print" }, print),
	);
}

function certificate(hold: Hold, facts: CertificateFacts): HTMLElement {
	const unit = facts.find(hold.listingId);
	const l = lang();
	const rows: [MessageKey, string][] = [
		["certEvent", facts.eventName],
		["certUnit", unitLabelOf(hold.listingId, facts.find)],
	];
	if (unit) {
		rows.push(["layout", unit.layout]);
		if (unit.orientation) rows.push(["orientation", orientationText(unit.orientation)]);
		rows.push(
			["certArea", `${unit.areaM2} ㎡`],
			["certTotal", formatTotal(unit.priceCents, facts.currency, l)],
			["unitPrice", formatPerM2(unit.priceCents, unit.areaM2, facts.currency, l)],
		);
	}
	rows.push(["certBuyerId", facts.buyerId]);
	if (facts.buyerName) rows.push(["certBuyerName", facts.buyerName]);
	rows.push(["certHoldId", hold.holdId]);
	if (hold.confirmedAt) rows.push(["certConfirmedAt", formatBeijing(hold.confirmedAt)]);
	return h(
		"article",
		{ class: "certificate", "data-hold": hold.holdId, "aria-label": t("certTitle") },
		h("h4", { class: "cert-title", text: t("certTitle") }),
		h(
			"dl",
			{},
			...rows.flatMap(([key, value]) => [h("dt", { text: t(key) }), h("dd", { "data-field": key, text: value })]),
		),
		h("p", { class: "cert-note", text: t("certNote") }),
	);
}
