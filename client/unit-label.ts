// One readable name per unit, the one on its door and in the sales brochure: "1号楼 1502" (the building
// as the catalogue names it, then floor and unit number run together). Written once for both sides: the
// pages (grid, "my holds", every message) and the server's SMS (queue-consumers/notifications.ts). A
// listing id ("1-15-02") is an internal key, never shown when the unit is known.

export interface UnitPlace {
	building: string;
	floor: number;
	unit: string;
}

export function unitLabel(place: UnitPlace): string {
	return `${place.building} ${place.floor}${place.unit}`;
}
