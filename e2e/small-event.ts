// The small event the staff-page and operations tests seed through the admin API: 2 buildings × 3
// floors × 2 units ("1-2-1" is 1号楼 201), each file with its own name, opening time, hold and buyers.
// (The buyer-page tests use the demo catalogue instead: buyer-kit.ts.)

type Admin = (method: string, path: string, body?: unknown) => Promise<unknown>;

export interface SmallEventOptions {
	/** The start of the event id, which says which file made it ("sp", "so", "e2e"). */
	prefix: string;
	name: string;
	opensInMs: number;
	holdSeconds: number;
	buildings?: number;
	/** The layout of unit 1 and unit 2 of a floor (the same by default). */
	layout?: (unit: number) => string;
	/** The buyer list to import, or none. */
	buyers?: Record<string, unknown>[];
}

let seq = 0;

/** Creates the event, its listings (each 98.5 ㎡ at 3,000,000 yuan) and its buyers; opens in `opensInMs`. */
export async function seedSmallEvent(admin: Admin, options: SmallEventOptions) {
	const { buildings = 2, layout = () => "3室2厅" } = options;
	seq += 1;
	const eventId = `${options.prefix}-${Date.now().toString(36)}-${seq}`;
	const opensAt = Date.now() + options.opensInMs;
	await admin("PUT", `/api/admin/events/${eventId}`, {
		name: options.name,
		startsAt: new Date(opensAt).toISOString(),
		endsAt: new Date(opensAt + 3_600_000).toISOString(),
		holdSeconds: options.holdSeconds,
	});
	const listings = Array.from({ length: buildings }, (_, i) => i + 1).flatMap((b) =>
		[1, 2, 3].flatMap((f) =>
			[1, 2].map((u) => ({
				id: `${b}-${f}-${u}`,
				building: `${b}号楼`,
				floor: f,
				unit: `0${u}`,
				layout: layout(u),
				areaM2: 98.5,
				priceCents: 300_000_000,
			})),
		),
	);
	await admin("PUT", `/api/admin/events/${eventId}/listings`, { listings });
	if (options.buyers) await admin("PUT", `/api/admin/events/${eventId}/buyers`, { buyers: options.buyers });
	return { eventId, opensAt };
}
