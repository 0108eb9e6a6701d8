// A listing's optional details for buyers (issue 13): its floor plan image and its orientation (朝向).
// One definition of what is valid, shared by the worker's validation (admin bulk upsert), the operator
// console's CSV import and the buyer page, so the three never disagree.
//
// Orientation is a closed set rather than free text: the buyer page filters and translates it, and a
// typo ("南 北", "朝南") would otherwise become a value of its own. The set is the one brochures use:
// the eight compass directions and the two "through" orientations (南北通透, 东西).

export const ORIENTATIONS = ["南北", "东西", "东", "南", "西", "北", "东南", "东北", "西南", "西北"] as const;

export type Orientation = (typeof ORIENTATIONS)[number];

export function isOrientation(value: string): value is Orientation {
	return (ORIENTATIONS as readonly string[]).includes(value);
}

export const FLOOR_PLAN_URL_MAX = 512;

/**
 * Whether a floor plan URL may be shown on the buyer page: an https URL (no user name or password in
 * it), or an absolute path of this site ("/floorplans/a.svg": no "//" host, no "..", no query tricks).
 * The page's CSP decides which hosts actually load; this only keeps out javascript:, data:, http: and
 * relative paths that would resolve differently on different pages.
 */
export function isFloorPlanUrl(value: string): boolean {
	if (value.length === 0 || value.length > FLOOR_PLAN_URL_MAX) return false;
	if (value.startsWith("/")) {
		return /^\/(?!\/)[A-Za-z0-9._~%/-]*$/.test(value) && !value.split("/").includes("..");
	}
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return false;
	}
	return url.protocol === "https:" && url.username === "" && url.password === "" && url.hostname !== "";
}
