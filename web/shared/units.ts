// The pages' side of the unit's one readable name (client/unit-label.ts says which): a listing the page
// may not know yet falls back to its id.
import { type UnitPlace, unitLabel } from "../../client/unit-label";

export { type UnitPlace, unitLabel };

/** The label of a listing the page may not know (a catalogue not loaded yet): its id then. */
export function unitLabelOf(listingId: string, find: (id: string) => UnitPlace | undefined): string {
	const place = find(listingId);
	return place ? unitLabel(place) : listingId;
}
