// The demo opening seeded by `npm start`: 2 buildings × 20 floors × 4 units and 1,000 buyers.
// Plain functions over fetch so the start script, the simulator and the browser tests share them.

// Each unit position of a floor: its layout, area, orientation (朝向) and floor plan (public/floorplans/).
const LAYOUTS = [
	{ layout: "3室2厅2卫", areaM2: 128.6, orientation: "南北", floorPlanUrl: "/floorplans/3br.svg" },
	{ layout: "2室2厅1卫", areaM2: 89.2, orientation: "南", floorPlanUrl: "/floorplans/2br.svg" },
	{ layout: "2室2厅1卫", areaM2: 89.2, orientation: "南", floorPlanUrl: "/floorplans/2br.svg" },
	{ layout: "4室2厅2卫", areaM2: 143.9, orientation: "东南", floorPlanUrl: "/floorplans/4br.svg" },
];

export function demoListings({ buildings = 2, floors = 20, unitsPerFloor = 4 } = {}) {
	const listings = [];
	for (let b = 1; b <= buildings; b++) {
		for (let f = 1; f <= floors; f++) {
			for (let u = 1; u <= unitsPerFloor; u++) {
				const spec = LAYOUTS[(u - 1) % LAYOUTS.length];
				// Unreachable (the index is taken modulo the length); it tells the type checker so.
				if (!spec) throw new Error("no layout for this unit");
				const { layout, areaM2, orientation, floorPlanUrl } = spec;
				// Higher floors and end units cost more, as they do.
				const pricePerM2 = 42_000 + f * 350 + (u === 1 || u === unitsPerFloor ? 1_500 : 0);
				listings.push({
					id: `${b}-${String(f).padStart(2, "0")}-${String(u).padStart(2, "0")}`,
					building: `${b}号楼`,
					floor: f,
					unit: String(u).padStart(2, "0"),
					layout,
					areaM2,
					priceCents: Math.round(areaM2 * pricePerM2) * 100,
					stock: 1,
					orientation,
					floorPlanUrl,
				});
			}
		}
	}
	return listings;
}

export function demoBuyers(count = 1_000) {
	return Array.from({ length: count }, (_, i) => {
		const n = String(i + 1).padStart(4, "0");
		return { id: `b${n}`, name: `买家${n}`, phone: `+86138${String(i + 1).padStart(8, "0")}` };
	});
}

/**
 * @param {string} baseUrl
 * @param {string} token
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
export async function adminRequest(baseUrl, token, method, path, body) {
	const res = await fetch(new URL(path, baseUrl), {
		method,
		headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
	return text ? JSON.parse(text) : null;
}

/**
 * Creates (or refreshes, while it has not opened) an event with the demo catalogue and buyers.
 * @param {{ baseUrl: string; token: string; eventId?: string; opensInSeconds?: number; buyers?: number }} options
 */
export async function seedDemo({ baseUrl, token, eventId = "demo", opensInSeconds = 120, buyers = 1_000 }) {
	const startsAt = new Date(Date.now() + opensInSeconds * 1000);
	const endsAt = new Date(startsAt.getTime() + 3 * 3600 * 1000);
	await adminRequest(baseUrl, token, "PUT", `/api/admin/events/${eventId}`, {
		name: "滨江壹号 · 首期开盘 (demo)",
		startsAt: startsAt.toISOString(),
		endsAt: endsAt.toISOString(),
		holdSeconds: 300,
		perBuyerLimit: 1,
		currency: "CNY",
	});
	const listings = demoListings();
	await adminRequest(baseUrl, token, "PUT", `/api/admin/events/${eventId}/listings`, { listings });
	// The shape the buyers import route answers with (worker/routes/admin-events.ts): null for a buyer
	// registered before, who keeps its code.
	/** @type {{ buyers: { id: string; accessCode: string | null }[] }} */
	const registered = await adminRequest(baseUrl, token, "PUT", `/api/admin/events/${eventId}/buyers`, {
		buyers: demoBuyers(buyers),
	});
	return { eventId, startsAt, listings: listings.length, buyers: registered.buyers };
}
