// The selected unit's details on the buyer page (issue 13): its name, layout, orientation, area, the
// total in 万元 and the price per ㎡, and its floor plan when the listing has one. The plan sits in a
// <details>: folded on a phone (the panel is sticky at the bottom and must leave the grid room), open
// on a desktop; the image loads lazily, so a folded plan costs nothing.
import type { Listing } from "../../client/kaipan-client";
import { isFloorPlanUrl, isOrientation } from "../../client/listing-details";
import { h } from "../shared/dom";
import { lang, t } from "../shared/i18n";
import type { MessageKey } from "../shared/messages";
import { unitLabel } from "../shared/units";
import { formatPerM2, formatTotal } from "./price";

/** The orientation as the buyer's language says it ("南北通透", "South"); unknown values as sent. */
export function orientationText(value: string): string {
	return isOrientation(value) ? t(`orientation_${value}` as MessageKey) : value;
}

const wide = () => window.matchMedia("(min-width: 900px)").matches;

/** Whether the buyer opened or folded the plan: kept across units and live updates. */
let planOpen: boolean | null = null;

export function unitDetails(unit: Listing, currency: string): HTMLElement {
	const label = unitLabel(unit);
	const l = lang();
	const rows: [MessageKey, string][] = [
		["layout", unit.layout],
		...(unit.orientation ? [["orientation", orientationText(unit.orientation)] as [MessageKey, string]] : []),
		["area", `${unit.areaM2} ㎡`],
		["price", formatTotal(unit.priceCents, currency, l)],
		["unitPrice", formatPerM2(unit.priceCents, unit.areaM2, currency, l)],
	];
	const root = h(
		"div",
		{ class: "unit-details" },
		h("p", { class: "unit-title", text: label }),
		h(
			"dl",
			{},
			...rows.flatMap(([key, value]) => [h("dt", { text: t(key) }), h("dd", { "data-field": key, text: value })]),
		),
	);
	// The server validates the URL; checked again so that nothing else can ever become an image source.
	if (unit.floorPlanUrl && isFloorPlanUrl(unit.floorPlanUrl)) {
		const plan = h(
			"details",
			{ class: "floor-plan" },
			h("summary", { text: t("floorPlanShow") }),
			h("img", {
				src: unit.floorPlanUrl,
				alt: t("floorPlanAlt", { unit: label, layout: unit.layout, area: unit.areaM2 }),
				loading: "lazy",
				decoding: "async",
				width: 300,
				height: 220,
			}),
		);
		plan.open = planOpen ?? wide();
		plan.addEventListener("toggle", () => {
			planOpen = plan.open;
		});
		root.append(plan);
	}
	return root;
}
