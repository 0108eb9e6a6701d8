// One readable name per unit, the one on its door and in the sales brochure: "1号楼 1502" (the building
// as the catalogue names it, then floor and unit number run together). The buyer page uses it in the
// grid, "my holds" and every message; a listing id ("1-15-02") is an internal key, never shown when
// the unit is known.

export interface UnitPlace {
	building: string;
	floor: number;
	unit: string;
}

export function unitLabel(place: UnitPlace): string {
	return `${place.building} ${place.floor}${place.unit}`;
}

/** The label of a listing the page may not know (a catalogue not loaded yet): its id then. */
export function unitLabelOf(listingId: string, find: (id: string) => UnitPlace | undefined): string {
	const place = find(listingId);
	return place ? unitLabel(place) : listingId;
}
