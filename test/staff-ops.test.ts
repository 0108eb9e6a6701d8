// Issue 13's staff and operator endpoints, through the real worker: the list of events, creating an
// event only when its id is new (If-None-Match: *), buyers' names and phones for staff (masked for a
// viewer), and the operator's announcement — stored, recorded in the ledger, in the public event read
// and pushed over the live feed.
import { describe, expect, it, vi } from "vitest";
import { ADMIN, admin, bearer, call, errorCode, json, login, seedEvent, uniqueId } from "./helpers";

const STAFF_ADDRESS = "2001:db8::5a1e";

function as(token: string): Record<string, string> {
	return { authorization: `Bearer ${token}`, "cf-connecting-ip": STAFF_ADDRESS };
}

async function staffToken(role: "viewer" | "sales" | "operator"): Promise<string> {
	const res = await json("POST", "/api/admin/staff", { name: `${role} ${uniqueId("p")}`, role }, ADMIN);
	expect(res.status).toBe(200);
	return (await res.json<{ token: string }>()).token;
}

function eventBody(name: string) {
	const now = Date.now();
	return {
		name,
		startsAt: new Date(now + 3_600_000).toISOString(),
		endsAt: new Date(now + 7_200_000).toISOString(),
	};
}

interface Entry {
	kind: string;
	actor: string;
	data: Record<string, unknown>;
}

async function ledger(eventId: string): Promise<Entry[]> {
	const res = await admin("GET", `/api/admin/events/${eventId}/ledger?limit=1000`);
	expect(res.status).toBe(200);
	return (await res.json<{ entries: Entry[] }>()).entries;
}

describe("GET /api/admin/events: the console's list of events", () => {
	it("lists every event with its counts, newest first, page by page without skipping or repeating", async () => {
		const a = await seedEvent({ listings: 4, buyers: 2, open: false });
		const b = await seedEvent({ listings: 2, buyers: 3, open: false });
		const seen: { event: { id: string; name: string; status: string }; counts: Record<string, number> }[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
			const res = await admin("GET", `/api/admin/events?limit=1${query}`);
			expect(res.status).toBe(200);
			const page = await res.json<{ events: typeof seen; nextCursor: string | null }>();
			expect(page.events.length).toBeLessThanOrEqual(1);
			seen.push(...page.events);
			cursor = page.nextCursor;
			pages += 1;
		} while (cursor && pages < 500);
		const ids = seen.map((e) => e.event.id);
		expect(new Set(ids).size).toBe(ids.length);
		// Newest first: b was created after a.
		expect(ids.indexOf(b.eventId)).toBeLessThan(ids.indexOf(a.eventId));
		const rowA = seen.find((e) => e.event.id === a.eventId);
		expect(rowA?.counts).toEqual({ listings: 4, available: 4, held: 0, confirmed: 0, buyers: 2 });
		expect(rowA?.event.status).toBe("scheduled");
		expect(seen.find((e) => e.event.id === b.eventId)?.counts.buyers).toBe(3);
	});

	it("refuses a cursor it did not make and a bad limit (400), and a viewer may read it", async () => {
		expect(await errorCode(await admin("GET", "/api/admin/events?cursor=nope"))).toBe("invalid_request");
		expect(await errorCode(await admin("GET", "/api/admin/events?limit=0"))).toBe("invalid_request");
		expect(await errorCode(await admin("GET", "/api/admin/events?limit=101"))).toBe("invalid_request");
		const viewer = await staffToken("viewer");
		expect((await call("/api/admin/events", { headers: as(viewer) })).status).toBe(200);
	});
});

describe("PUT /api/admin/events/:eventId with If-None-Match: * creates and never overwrites", () => {
	it("creates a new id; the same id again is 412 and the event, its catalogue and its ledger stay as they were", async () => {
		const eventId = uniqueId("new");
		const first = await json("PUT", `/api/admin/events/${eventId}`, eventBody("第一次"), {
			...ADMIN,
			"if-none-match": "*",
		});
		expect(first.status).toBe(200);
		const second = await json("PUT", `/api/admin/events/${eventId}`, eventBody("覆盖？"), {
			...ADMIN,
			"if-none-match": "*",
		});
		expect(second.status).toBe(412);
		expect(await errorCode(second)).toBe("precondition_failed");
		const read = await admin("GET", `/api/admin/events/${eventId}`);
		expect((await read.json<{ event: { name: string } }>()).event.name).toBe("第一次");
		expect((await ledger(eventId)).map((e) => e.kind)).toEqual(["event_created"]);
		// Without the header the PUT still edits (the contract's create-or-update).
		expect((await admin("PUT", `/api/admin/events/${eventId}`, eventBody("改名"))).status).toBe(200);
	});

	it("two new-event forms racing for one id: exactly one creates, the other is refused", async () => {
		const eventId = uniqueId("race");
		const answers = await Promise.all(
			["甲", "乙", "丙", "丁"].map((name) =>
				json("PUT", `/api/admin/events/${eventId}`, eventBody(name), { ...ADMIN, "if-none-match": "*" }),
			),
		);
		const statuses = answers.map((r) => r.status).sort();
		expect(statuses).toEqual([200, 412, 412, 412]);
		const winner = answers.find((r) => r.status === 200);
		const created = (await winner?.json<{ event: { name: string } }>())?.event.name;
		const read = await admin("GET", `/api/admin/events/${eventId}`);
		expect((await read.json<{ event: { name: string } }>()).event.name).toBe(created);
		expect((await ledger(eventId)).filter((e) => e.kind === "event_created")).toHaveLength(1);
	});

	it("an invalid body is 400 before anything is looked up, and creates nothing", async () => {
		const eventId = uniqueId("bad");
		const res = await json("PUT", `/api/admin/events/${eventId}`, { name: "x" }, { ...ADMIN, "if-none-match": "*" });
		expect(res.status).toBe(400);
		expect((await admin("GET", `/api/admin/events/${eventId}`)).status).toBe(404);
	});
});

describe("GET /api/admin/events/:eventId/buyers: who to call about a hold", () => {
	async function seeded() {
		const ev = await seedEvent({ buyers: 0, open: false });
		const put = await admin("PUT", `/api/admin/events/${ev.eventId}/buyers`, {
			buyers: [
				{ id: "b1", name: "张三", phone: "+8613800000001", accessCode: "24681012" },
				{ id: "b2", name: "李四", phone: "13900000002", accessCode: "24681013" },
				{ id: "b3", accessCode: "24681014" },
			],
		});
		expect(put.status).toBe(200);
		return ev;
	}

	it("sales and operators get name and phone; a viewer gets the phone masked to its last four digits", async () => {
		const ev = await seeded();
		const path = `/api/admin/events/${ev.eventId}/buyers`;
		const bySales = await call(path, { headers: as(await staffToken("sales")) });
		expect(bySales.status).toBe(200);
		expect(await bySales.json()).toEqual({
			buyers: [
				{ id: "b1", name: "张三", phone: "+8613800000001" },
				{ id: "b2", name: "李四", phone: "13900000002" },
				{ id: "b3", name: null, phone: null },
			],
			nextCursor: null,
			phonesMasked: false,
		});
		const byAdmin = await (await admin("GET", path)).json<{ phonesMasked: boolean }>();
		expect(byAdmin.phonesMasked).toBe(false);
		const byViewer = await call(path, { headers: as(await staffToken("viewer")) });
		const viewed = await byViewer.json<{ buyers: { phone: string | null }[]; phonesMasked: boolean }>();
		expect(viewed.phonesMasked).toBe(true);
		expect(viewed.buyers.map((b) => b.phone)).toEqual(["+*********0001", "*******0002", null]);
	});

	it("pages by cursor; a bad cursor is 400 and an unknown event 404; a buyer's session is 403", async () => {
		const ev = await seeded();
		const path = `/api/admin/events/${ev.eventId}/buyers`;
		const first = await (await admin("GET", `${path}?limit=2`)).json<{
			buyers: { id: string }[];
			nextCursor: string;
		}>();
		expect(first.buyers.map((b) => b.id)).toEqual(["b1", "b2"]);
		const second = await (await admin("GET", `${path}?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`)).json<{
			buyers: { id: string }[];
			nextCursor: string | null;
		}>();
		expect(second).toEqual({ buyers: [{ id: "b3", name: null, phone: null }], nextCursor: null, phonesMasked: false });
		expect(await errorCode(await admin("GET", `${path}?cursor=%%%`))).toBe("invalid_request");
		expect(await errorCode(await admin("GET", "/api/admin/events/no-such-event/buyers"))).toBe("not_found");
		const session = await login(ev.eventId, "b1", "24681012");
		expect((await call(path, { headers: bearer(session) })).status).toBe(403);
	});
});

describe("the operator's announcement to every buyer", () => {
	const path = (eventId: string) => `/api/admin/events/${eventId}/announcement`;

	async function publicAnnouncement(eventId: string) {
		const res = await call(`/api/events/${eventId}`);
		expect(res.status).toBe(200);
		return (await res.json<{ event: { announcement: { text: string; postedAt: string } | null } }>()).event
			.announcement;
	}

	it("is posted, read with the public event, recorded in the ledger, and taken down", async () => {
		const ev = await seedEvent({ open: false });
		expect(await publicAnnouncement(ev.eventId)).toBeNull();
		const text = "系统维护，开盘暂停。\n预计 10:30 恢复。<b>请勿刷新</b>";
		const posted = await admin("PUT", path(ev.eventId), { text: `  ${text}  ` });
		expect(posted.status).toBe(200);
		const { announcement } = await posted.json<{ announcement: { text: string; postedAt: string } }>();
		// Trimmed, stored as typed: escaping is the page's job (it never builds HTML from it).
		expect(announcement.text).toBe(text);
		await vi.waitFor(async () => expect(await publicAnnouncement(ev.eventId)).toEqual(announcement), {
			timeout: 5_000,
		});
		const entry = (await ledger(ev.eventId)).find((e) => e.kind === "announcement_posted");
		expect(entry).toMatchObject({ actor: "admin", data: { text, postedAt: announcement.postedAt } });

		const cleared = await admin("DELETE", path(ev.eventId));
		expect(cleared.status).toBe(200);
		expect(await cleared.json()).toEqual({ announcement: null });
		await vi.waitFor(async () => expect(await publicAnnouncement(ev.eventId)).toBeNull(), { timeout: 5_000 });
		expect((await ledger(ev.eventId)).map((e) => e.kind).slice(-2)).toEqual([
			"announcement_posted",
			"announcement_cleared",
		]);
	});

	it("bad input changes nothing: too long, empty, control characters, unknown fields, unknown event", async () => {
		const ev = await seedEvent({ open: false });
		expect((await admin("PUT", path(ev.eventId), { text: "原公告" })).status).toBe(200);
		const before = await publicAnnouncement(ev.eventId);
		const ledgerBefore = (await ledger(ev.eventId)).length;
		for (const body of [
			{ text: "字".repeat(501) },
			{ text: "   " },
			{ text: "bell\u0007" },
			{ text: "ok", extra: 1 },
			{},
			"text",
		]) {
			const res = await admin("PUT", path(ev.eventId), body);
			expect(res.status).toBe(400);
			expect(await errorCode(res)).toBe("invalid_request");
		}
		// 500 characters (code points, an emoji is one) is the limit, not more.
		expect((await admin("PUT", path(ev.eventId), { text: "😀".repeat(500) })).status).toBe(200);
		expect((await admin("PUT", path(ev.eventId), { text: "原公告" })).status).toBe(200);
		expect((await publicAnnouncement(ev.eventId))?.text).toBe(before?.text);
		expect((await ledger(ev.eventId)).length).toBe(ledgerBefore + 2);
		expect(await errorCode(await admin("PUT", path("no-such-event"), { text: "x" }))).toBe("not_found");
		expect(await errorCode(await admin("DELETE", path("no-such-event")))).toBe("not_found");
	});

	it("only an operator posts it: sales and viewers are 403 and change nothing", async () => {
		const ev = await seedEvent({ open: false });
		for (const role of ["viewer", "sales"] as const) {
			const res = await json("PUT", path(ev.eventId), { text: "x" }, as(await staffToken(role)));
			expect(res.status).toBe(403);
		}
		expect(await publicAnnouncement(ev.eventId)).toBeNull();
		const operator = await staffToken("operator");
		expect((await json("PUT", path(ev.eventId), { text: "由运营发布" }, as(operator))).status).toBe(200);
		const entry = (await ledger(ev.eventId)).find((e) => e.kind === "announcement_posted");
		expect(entry?.actor).toMatch(/^staff:/);
	});

	it("is pushed to a buyer's open live feed at once, and its clearing too", async () => {
		const ev = await seedEvent();
		const session = await login(ev.eventId, "B1");
		const res = await call(`/api/events/${ev.eventId}/live`, { headers: { upgrade: "websocket", ...bearer(session) } });
		const ws = res.webSocket;
		if (res.status !== 101 || !ws) throw new Error(`no WebSocket: ${res.status}`);
		ws.accept();
		const frames: { type: string; announcement?: unknown }[] = [];
		ws.addEventListener("message", (e) => {
			if (String(e.data) !== "pong") frames.push(JSON.parse(String(e.data)));
		});
		await vi.waitFor(() => expect(frames[0]?.type).toBe("snapshot"), { timeout: 5_000 });
		const posted = await admin("PUT", path(ev.eventId), { text: "暂停 10 分钟" });
		const { announcement } = await posted.json<{ announcement: unknown }>();
		await vi.waitFor(() => expect(frames).toContainEqual({ type: "announcement", announcement }), { timeout: 3_000 });
		await admin("DELETE", path(ev.eventId));
		await vi.waitFor(() => expect(frames.at(-1)).toEqual({ type: "announcement", announcement: null }), {
			timeout: 3_000,
		});
		ws.close();
	});
});
