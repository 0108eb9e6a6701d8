// db/notifications.ts against the local D1: a (hold, kind) is claimed once however often it is
// delivered, a failed send gives the claim back, and the outbox pages newest first.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	claimNotification,
	type NewNotification,
	type NotificationRow,
	notificationId,
	notificationsPage,
	releaseNotification,
} from "../../db/notifications";
import { parseCursor, type SortKey } from "../../db/pagination";
import { uniqueId } from "./utils";

function notification(fields: Partial<NewNotification> = {}): NewNotification {
	const holdId = fields.holdId ?? uniqueId("h");
	return {
		id: notificationId(holdId, "granted"),
		eventId: uniqueId("ev"),
		buyerId: "B1",
		holdId,
		kind: "granted",
		phone: "+8613800000000",
		body: "held for you",
		provider: "local",
		...fields,
	};
}

async function allPages(eventId: string, limit: number): Promise<NotificationRow[][]> {
	const pages: NotificationRow[][] = [];
	let before: SortKey | null = null;
	for (;;) {
		const { page, nextCursor } = await notificationsPage(env, eventId, before, limit);
		pages.push(page);
		if (nextCursor === null) return pages;
		before = parseCursor(nextCursor);
	}
}

describe("claimNotification / releaseNotification", () => {
	it("the first claim of an id wins; every later one is refused and changes nothing", async () => {
		const n = notification();
		expect(await claimNotification(env, n)).toBe(true);
		expect(await claimNotification(env, { ...n, body: "again", provider: "http" })).toBe(false);
		const { page } = await notificationsPage(env, n.eventId, null, 10);
		expect(page).toEqual([{ ...n, createdAt: expect.any(String) }]);
	});

	it("of ten concurrent claims of one id exactly one wins", async () => {
		const n = notification();
		const results = await Promise.all(Array.from({ length: 10 }, () => claimNotification(env, n)));
		expect(results.filter(Boolean).length).toBe(1);
	});

	it("a released claim can be claimed again (the retry after a failed send); other kinds are their own claims", async () => {
		const n = notification();
		expect(await claimNotification(env, n)).toBe(true);
		const confirmed = { ...n, id: notificationId(n.holdId, "confirmed"), kind: "confirmed" };
		expect(await claimNotification(env, confirmed)).toBe(true);
		await releaseNotification(env, n.id);
		expect(await claimNotification(env, n)).toBe(true);
		expect(await claimNotification(env, n)).toBe(false);
		expect((await notificationsPage(env, n.eventId, null, 10)).page.length).toBe(2);
	});

	it("D1 stamps createdAt when none is given", async () => {
		const n = notification();
		await claimNotification(env, n);
		const [row] = (await notificationsPage(env, n.eventId, null, 1)).page;
		expect(Date.parse(row?.createdAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
	});
});

describe("notificationsPage", () => {
	it("walks every notification once, newest first, when many share a timestamp and the pages cut through them", async () => {
		const eventId = uniqueId("ev");
		const same = "2030-06-01T00:00:00.000Z";
		const rows = [
			...Array.from({ length: 6 }, (_, i) => notification({ eventId, id: `n-same-${i}`, createdAt: same })),
			notification({ eventId, id: "n-a-early", createdAt: "2030-05-31T23:59:59.999Z" }),
			notification({ eventId, id: "n-z-late", createdAt: "2030-06-01T00:00:00.001Z" }),
			notification({ createdAt: same }), // another event's
		];
		for (const n of rows) await claimNotification(env, n);

		for (const limit of [1, 2, 4, 8, 100]) {
			const ids = (await allPages(eventId, limit)).flat().map((r) => r.id);
			expect(ids).toEqual(["n-z-late", ...Array.from({ length: 6 }, (_, i) => `n-same-${5 - i}`), "n-a-early"]);
		}
	});
});
