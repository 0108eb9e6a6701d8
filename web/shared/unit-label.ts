// One readable name for a unit, wherever a person reads it (the grid's neighbours, the dashboard's
// panel, dialogs, exports): "1号楼 1502" — the building as the catalogue names it, then the floor and
// the unit as people say them. Listing ids ("1-15-02") are for machines and stay out of sight.
import type { Lang } from "./i18n";

export interface UnitParts {
	building: string;
	floor: number;
	unit: string;
}

export function unitLabel(listing: UnitParts, lang: Lang): string {
	const floor =
		listing.floor < 0 ? (lang === "zh" ? `地下${-listing.floor}层` : `B${-listing.floor}-`) : String(listing.floor);
	return `${listing.building} ${floor}${listing.unit}`;
}
