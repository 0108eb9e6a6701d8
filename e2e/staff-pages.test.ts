// The staff pages as sales staff and operators use them at an opening (issue 13's staff-page defects,
// issue 11's pages), in a real Chromium against the real dev server, at phone and desktop width.
// Each test is written from what a person sees and does: labels, roles, the words on the screen.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { KaipanClient } from "../client/kaipan-client";
import { adminRequest } from "../scripts/demo-data.mjs";
// The export's clock, pinned to literal Beijing times by web/shared/orders-csv.test.ts.
import { beijingTime } from "../web/shared/orders-csv";
import { DESKTOP, PHONE, poll, seriousViolations, useBrowserPages, WIDTHS } from "./pages";
import { seedSmallEvent } from "./small-event";

const baseUrl = inject("baseUrl");
const token = inject("adminToken");
const admin = (method: string, path: string, body?: unknown) => adminRequest(baseUrl, token, method, path, body);

/** Per test: a page or two, a dev server and a queue, on a 2-core machine shared with other work. */
const SLOW_TEST = 120_000;

const browserPages = useBrowserPages(baseUrl);
const { problems } = browserPages;
let ip = 0;

/** A staff page in its own context (one person), signed in with `staffToken` unless it is null. */
function staffPage(
	path: string,
	viewport: { width: number; height: number } = DESKTOP,
	staffToken: string | null = token,
	lang: "zh" | "en" = "zh",
): Promise<Page> {
	return browserPages.open(path, {
		viewport,
		staffToken,
		lang,
		acceptDownloads: true,
		timeout: 8_000,
		navigationTimeout: 30_000,
		ignore: /status of 4/,
	});
}

/** An event with 2 buildings × 3 floors × 2 units and buyers b1 and b2, opening in `opensInMs`. */
async function seed(opensInMs: number, name = "滨江壹号 · 员工页面测试", buildings = 2) {
	const { eventId } = await seedSmallEvent(admin, {
		prefix: "sp",
		name,
		opensInMs,
		holdSeconds: 300,
		buildings,
		buyers: [
			{ id: "b1", name: "张三", accessCode: "24681012", phone: "+8613800000001" },
			{ id: "b2", name: "李四", accessCode: "13579111", phone: "+8613800000002" },
		],
	});
	return { eventId, name };
}

/** An open event in which buyer `buyerId` holds `listingId` (granted through the real client). */
async function seedHold(listingId = "1-2-1", buyerId = "b1") {
	const ev = await seed(3_600_000);
	await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "open" });
	ip += 1;
	const client = new KaipanClient({ baseUrl, headers: { "cf-connecting-ip": `2001:db8:5::${ip}` } });
	await client.login(ev.eventId, buyerId, buyerId === "b1" ? "24681012" : "13579111");
	const hold = await client.claim(listingId);
	return { ...ev, holdId: hold.holdId, client };
}

async function ordersOf(eventId: string): Promise<{ holdId: string; status: string; createdAt: string }[]> {
	return (await admin("GET", `/api/admin/events/${eventId}/orders`)).orders;
}

/** The dashboard, connected and live, with the unit's cell selected and its hold shown. */
async function dashboardWithHold(eventId: string, viewport: { width: number; height: number }, listingId = "1-2-1") {
	const page = await staffPage(`/dashboard?event=${eventId}`, viewport);
	await poll(() => page.locator("#live-state").textContent(), { timeout: 15_000 }).toBe("实时更新中");
	const cell = page.locator(`button.unit[data-id="${listingId}"]`);
	await poll(() => cell.getAttribute("data-status")).toBe("held");
	// D1 has the order about a second after the grant: select until the hold is shown.
	await poll(
		async () => {
			await cell.click();
			return page.locator("#hold-panel").getByRole("button", { name: "释放" }).isVisible();
		},
		{ timeout: 10_000, interval: 500 },
	).toBe(true);
	return page;
}

describe("issue 13 (1): the console acts on one event, the one it shows", () => {
	it(
		"typing an id and pressing 读取 loads that event, puts it in the URL, and every action uses it",
		async () => {
			const a = await seed(3_600_000, "甲活动");
			const b = await seed(3_600_000, "乙活动", 1);
			const page = await staffPage(`/console?event=${a.eventId}`);
			await poll(() => page.locator("#event-summary").textContent()).toContain("房源 12 套");

			await page.getByLabel("活动编号").first().fill(b.eventId);
			await page.getByRole("button", { name: "读取" }).click();
			await poll(() => page.locator("#event-summary").textContent()).toContain("房源 6 套");
			expect(new URL(page.url()).searchParams.get("event")).toBe(b.eventId);
			expect(await page.getByLabel("活动名称").first().inputValue()).toBe("乙活动");

			const requested: string[] = [];
			page.on("request", (r) => {
				const path = new URL(r.url()).pathname;
				if (path.startsWith("/api/")) requested.push(path);
			});
			const download = page.waitForEvent("download");
			await page.getByRole("button", { name: "导出订单 CSV" }).click();
			expect((await download).suggestedFilename()).toBe(`orders-${b.eventId}.csv`);
			await page.locator("#outbox").getByText("暂无通知").waitFor();
			await page.getByRole("button", { name: "刷新", exact: true }).click();
			await page.getByRole("button", { name: "读取" }).click();
			await poll(() => requested.filter((p) => p.includes("/notifications")).length).toBeGreaterThan(0);
			const events = requested.filter((p) => p.startsWith("/api/admin/events/"));
			expect(events.length).toBeGreaterThan(2);
			for (const path of events) expect(path).toContain(`/events/${b.eventId}`);

			// The page reopened from its URL shows the same event.
			await page.reload();
			await poll(() => page.locator("#event-summary").textContent()).toContain("房源 6 套");
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);

	it(
		"a new event never overwrites an existing one: the id is refused unless the operator chooses to edit it",
		async () => {
			const a = await seed(3_600_000, "不可覆盖的活动");
			const page = await staffPage(`/console?event=${a.eventId}`);
			await poll(() => page.locator("#event-summary").textContent()).toContain("房源 12 套");
			await page.getByRole("button", { name: "新建活动" }).click();
			const form = page.locator("#event-form");
			await form.getByLabel("活动编号").fill(a.eventId);
			await form.getByLabel("活动名称").fill("覆盖者");
			await form.getByRole("button", { name: "创建" }).click();
			await poll(() => page.locator("#event-form-message").textContent()).toContain("已存在");
			expect((await admin("GET", `/api/admin/events/${a.eventId}`)).event.name).toBe("不可覆盖的活动");

			// Editing it is a deliberate second choice, and shows the event as it is.
			await page.getByRole("button", { name: "编辑该活动" }).click();
			await poll(() => form.getByLabel("活动名称").inputValue()).toBe("不可覆盖的活动");
			expect(await page.locator("#event-form-heading").textContent()).toContain(a.eventId);

			// A fresh id is created, and becomes the console's event.
			const fresh = `${a.eventId}-new`;
			await page.getByRole("button", { name: "新建活动" }).click();
			await form.getByLabel("活动编号").fill(fresh);
			await form.getByLabel("活动名称").fill("新的活动");
			await form.getByRole("button", { name: "创建" }).click();
			await poll(() => page.locator("#message").textContent()).toContain(`已创建活动 ${fresh}`);
			expect((await admin("GET", `/api/admin/events/${fresh}`)).event.name).toBe("新的活动");
			expect(new URL(page.url()).searchParams.get("event")).toBe(fresh);
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});

describe("issue 13 (4): nothing destructive on one tap", () => {
	for (const [label, viewport] of WIDTHS) {
		it(
			`${label}: staff's 释放 and 确认认购 ask first, naming the unit and the buyer`,
			async () => {
				const { eventId, holdId } = await seedHold();
				const page = await dashboardWithHold(eventId, viewport);
				const dialog = page.getByRole("dialog");

				await page.locator("#hold-panel").getByRole("button", { name: "释放" }).click();
				await poll(() => dialog.textContent()).toContain("释放 1号楼 201（买家 b1）");
				await dialog.getByRole("button", { name: "取消" }).click();
				await poll(() => dialog.count()).toBe(0);
				expect((await ordersOf(eventId)).find((o) => o.holdId === holdId)?.status).toBe("held");

				await page.locator("#hold-panel").getByRole("button", { name: "确认认购" }).click();
				await poll(() => dialog.textContent()).toContain("确认认购 1号楼 201（买家 b1）？");
				await dialog.getByRole("button", { name: "确认认购" }).click();
				await poll(() => page.locator('button.unit[data-id="1-2-1"]').getAttribute("data-status")).toBe("sold");
				await poll(async () => (await ordersOf(eventId)).find((o) => o.holdId === holdId)?.status).toBe("confirmed");
				expect(problems).toEqual([]);
			},
			SLOW_TEST,
		);
	}

	it(
		"the operator's 开盘 and 结束 ask first; cancelling changes nothing",
		async () => {
			const { eventId, name } = await seed(3_600_000, "确认对话框活动");
			const page = await staffPage(`/console?event=${eventId}`, PHONE);
			await poll(() => page.locator("#event-summary").textContent()).toContain("未开盘");
			const dialog = page.getByRole("dialog");
			const buttons = page.locator("#status-buttons");

			await buttons.getByRole("button", { name: "开盘" }).click();
			await poll(() => dialog.textContent()).toContain(`开盘“${name}”`);
			await dialog.getByRole("button", { name: "取消" }).click();
			expect((await admin("GET", `/api/admin/events/${eventId}`)).event.status).toBe("scheduled");

			await buttons.getByRole("button", { name: "开盘" }).click();
			await dialog.getByRole("button", { name: "开盘" }).click();
			await poll(() => page.locator("#message").textContent()).toContain("已开盘");
			expect((await admin("GET", `/api/admin/events/${eventId}`)).event.status).toBe("open");

			await buttons.getByRole("button", { name: "结束" }).click();
			await poll(() => dialog.textContent()).toContain(`结束“${name}”`);
			await dialog.getByRole("button", { name: "结束" }).click();
			await poll(() => page.locator("#message").textContent()).toContain("已结束");
			expect((await admin("GET", `/api/admin/events/${eventId}`)).event.status).toBe("closed");
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});

describe("issue 13 (6): the dashboard's hold panel", () => {
	it(
		"after 确认认购 the panel says 已认购 with no buttons; a hold shows its time left, counting down",
		async () => {
			const { eventId } = await seedHold();
			const page = await dashboardWithHold(eventId, DESKTOP);
			const panel = page.locator("#hold-panel");
			const left = panel.locator(".hold-left");
			const first = await left.textContent();
			expect(first).toMatch(/^剩余 00:0[45]:\d\d$/);
			await poll(() => left.textContent(), { timeout: 3_000 }).not.toBe(first);

			await panel.getByRole("button", { name: "确认认购" }).click();
			await page.getByRole("dialog").getByRole("button", { name: "确认认购" }).click();
			await poll(() => panel.textContent(), { timeout: 5_000 }).toContain("已认购");
			expect(await panel.getByRole("button").count()).toBe(0);
			// …and it stays so when the live frame and the (lagging) orders arrive.
			await new Promise((r) => setTimeout(r, 2_500));
			expect(await panel.textContent()).toContain("已认购");
			expect(await panel.getByRole("button").count()).toBe(0);
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);

	it(
		"phone: the details open where the person is looking",
		async () => {
			const { eventId } = await seedHold("2-1-2");
			const page = await dashboardWithHold(eventId, PHONE, "2-1-2");
			const box = await page.locator("#hold-panel").boundingBox();
			expect(box).not.toBeNull();
			if (!box) return;
			expect(box.y).toBeGreaterThanOrEqual(0);
			expect(box.y + Math.min(box.height, 120)).toBeLessThanOrEqual(PHONE.height);
			expect(await page.locator("#hold-panel").textContent()).toContain("b1");
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});

describe("issue 13 (10): the console says what happened, in words", () => {
	it(
		"a bad range is a sentence; loading, opening, pausing and closing each say they were done",
		async () => {
			const { eventId, name } = await seed(3_600_000, "消息活动");
			const page = await staffPage(`/console?event=${eventId}`);
			await poll(() => page.locator("#message").textContent()).toContain(`已读取活动 ${eventId}`);
			expect(await page.locator("#message").textContent()).toContain(name);

			const form = page.locator("#event-form");
			await form.getByLabel("开盘时间").fill("2031-05-01T10:00:00");
			await form.getByLabel("结束时间").fill("2031-05-01T09:00:00");
			await form.getByRole("button", { name: "保存" }).click();
			await poll(() => page.locator("#message").textContent()).toContain("结束时间必须晚于开始时间");
			expect(await page.locator("#message").textContent()).not.toContain("endsAt");

			const buttons = page.locator("#status-buttons");
			await buttons.getByRole("button", { name: "暂停" }).click();
			await poll(() => page.locator("#message").textContent()).toContain("已暂停");
			await buttons.getByRole("button", { name: "开盘" }).click();
			await page.getByRole("dialog").getByRole("button", { name: "开盘" }).click();
			await poll(() => page.locator("#message").textContent()).toContain("已开盘");
			await buttons.getByRole("button", { name: "结束" }).click();
			await page.getByRole("dialog").getByRole("button", { name: "结束" }).click();
			await poll(() => page.locator("#message").textContent()).toContain("已结束");
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);

	it(
		"the outbox names its kinds; the orders CSV has readable units, Beijing time and a BOM",
		async () => {
			const { eventId, holdId } = await seedHold("1-3-2");
			await admin("POST", `/api/admin/holds/${holdId}/confirm`);
			const page = await staffPage(`/console?event=${eventId}`);
			const outbox = page.locator("#outbox");
			await poll(
				async () => {
					await page.getByRole("button", { name: "刷新", exact: true }).click();
					return outbox.textContent();
				},
				{ timeout: 15_000, interval: 1_000 },
			).toContain("认购成功");
			const kinds = await outbox.locator("tbody tr td:nth-child(2)").allTextContents();
			expect(kinds.length).toBeGreaterThan(0);
			for (const kind of kinds) expect(["锁定成功", "认购成功", "锁定过期"]).toContain(kind);

			await poll(async () => (await ordersOf(eventId)).length).toBe(1);
			const [order] = await ordersOf(eventId);
			if (!order) throw new Error("no order");
			const download = page.waitForEvent("download");
			await page.getByRole("button", { name: "导出订单 CSV" }).click();
			const path = await (await download).path();
			const bytes = readFileSync(path);
			expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
			const text = bytes.subarray(3).toString("utf8");
			expect(text).toContain("1号楼 302");
			expect(text).toContain("已认购");
			expect(text).toContain(beijingTime(order.createdAt));
			expect(text).not.toContain(order.createdAt);
			expect(text.split("\r\n")[0]).toContain("北京时间");
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});

describe("issue 13 (11): the staff pages follow the language", () => {
	it(
		"实时更新中 turns English with the page; chart axes show the page's 24-hour times",
		async () => {
			const { eventId } = await seedHold();
			const context = await browserPages.browser().newContext({ viewport: DESKTOP, locale: "zh-CN" });
			await context.addInitScript((t) => {
				sessionStorage.setItem("kp_admin_token", t);
				// Record what the charts draw on their canvases (axis labels are not in the DOM).
				const drawn: string[] = [];
				(window as unknown as { drawn: string[] }).drawn = drawn;
				const fillText = CanvasRenderingContext2D.prototype.fillText;
				CanvasRenderingContext2D.prototype.fillText = function (text: string, x: number, y: number, w?: number) {
					drawn.push(String(text));
					return w === undefined ? fillText.call(this, text, x, y) : fillText.call(this, text, x, y, w);
				};
			}, token);
			const page = browserPages.track(await context.newPage());
			page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
			await page.goto(`${baseUrl}/dashboard?event=${eventId}`);
			await poll(() => page.locator("#live-state").textContent(), { timeout: 15_000 }).toBe("实时更新中");
			await page.getByRole("button", { name: "English" }).click();
			expect(await page.locator("#live-state").textContent()).toBe("Live");

			const drawn = () => page.evaluate(() => (window as unknown as { drawn: string[] }).drawn);
			await poll(async () => (await drawn()).some((s) => /^\d\d:\d\d:\d\d$/.test(s)), { timeout: 8_000 }).toBe(true);
			expect((await drawn()).filter((s) => /\b(am|pm)\b|\d{1,2}\/\d{1,2}\/\d{2}/i.test(s))).toEqual([]);
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});

describe("issue 13 (11): the dashboard's grid is one Tab stop", () => {
	it(
		"Tab enters the grid once and the next Tab leaves it; arrows move within",
		async () => {
			const { eventId } = await seedHold();
			const page = await staffPage(`/dashboard?event=${eventId}`, DESKTOP);
			await poll(() => page.locator("#live-state").textContent()).toBe("实时更新中");
			const focused = () => page.evaluate(() => document.activeElement?.getAttribute("data-id") ?? null);
			await page.getByRole("button", { name: "连接" }).focus();
			let steps = 0;
			while ((await focused()) === null && steps < 10) {
				await page.keyboard.press("Tab");
				steps += 1;
			}
			const first = await focused();
			expect(first).not.toBeNull();
			await page.keyboard.press("ArrowRight");
			expect(await focused()).not.toBe(first);
			await page.keyboard.press("Tab");
			expect(await focused()).toBeNull();
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});

describe("accessibility: axe-core finds no serious or critical violation", () => {
	for (const [label, viewport] of WIDTHS) {
		it(
			`${label}: the console and the dashboard`,
			async () => {
				const { eventId } = await seedHold();
				const pages: [string, Page][] = [];
				const consolePage = await staffPage(`/console?event=${eventId}`, viewport);
				await poll(() => consolePage.locator("#event-summary").textContent()).toContain("房源 12 套");
				pages.push(["console", consolePage]);
				const dashboard = await dashboardWithHold(eventId, viewport);
				pages.push(["dashboard", dashboard]);
				for (const [name, page] of pages) {
					const violations = await seriousViolations(page, { allRules: true });
					expect({ name, violations }).toEqual({ name, violations: [] });
				}
				expect(problems).toEqual([]);
			},
			SLOW_TEST,
		);
	}
});

// --- issue 11: staff accounts and the ledger on the pages ------------------------------------------

async function staffAccount(name: string, role: "operator" | "sales" | "viewer") {
	return (await admin("POST", "/api/admin/staff", { name, role })) as { staffId: string; token: string };
}

/** Signs a signed-out staff page in the way a person does: event id, token, the form's button. */
async function signInOn(page: Page, eventId: string, staffToken: string, button: "连接" | "读取") {
	await page.getByLabel("活动编号").first().fill(eventId);
	await page.getByLabel("员工令牌").fill(staffToken);
	await page.getByRole("button", { name: button, exact: true }).click();
}

describe("issue 11: staff sign in with their own token, and see what their role may use", () => {
	for (const [label, viewport] of WIDTHS) {
		it(
			`${label}: sales staff are named in the header, may confirm and release, and see no operator controls`,
			async () => {
				const { eventId } = await seedHold();
				const sales = await staffAccount("王销售", "sales");

				const dashboard = await staffPage("/dashboard", viewport, null);
				await signInOn(dashboard, eventId, sales.token, "连接");
				await poll(() => dashboard.locator("#who").textContent()).toContain("王销售 · 销售");
				await poll(() => dashboard.locator("#live-state").textContent()).toBe("实时更新中");
				const cell = dashboard.locator('button.unit[data-id="1-2-1"]');
				await poll(
					async () => {
						await cell.click();
						return dashboard.locator("#hold-panel").getByRole("button", { name: "确认认购" }).isVisible();
					},
					{ interval: 500 },
				).toBe(true);
				expect(await dashboard.locator("#hold-panel").getByRole("button", { name: "释放" }).isVisible()).toBe(true);

				const consolePage = await staffPage("/console", viewport, null);
				await signInOn(consolePage, eventId, sales.token, "读取");
				await poll(() => consolePage.locator("#who").textContent()).toContain("王销售 · 销售");
				await poll(() => consolePage.locator("#event-summary").textContent()).toContain("房源 12 套");
				expect(await consolePage.locator("#role-notice").textContent()).toContain("需要运营权限");
				for (const name of ["开盘", "暂停", "结束", "新建活动", "创建账号", "校验并导入"]) {
					expect({ name, visible: await consolePage.getByRole("button", { name, exact: true }).count() }).toEqual({
						name,
						visible: 0,
					});
				}
				// What a sales account may read is there.
				expect(await consolePage.getByRole("button", { name: "导出订单 CSV" }).isVisible()).toBe(true);
				expect(await consolePage.getByRole("button", { name: "下载账本（JSON Lines）" }).isVisible()).toBe(true);
				expect(problems).toEqual([]);
			},
			SLOW_TEST,
		);
	}

	it(
		"a viewer watches the dashboard: the hold is shown, without confirm or release",
		async () => {
			const { eventId } = await seedHold();
			const viewer = await staffAccount("赵查看", "viewer");
			const page = await staffPage(`/dashboard?event=${eventId}`, PHONE, viewer.token);
			await poll(() => page.locator("#who").textContent()).toContain("赵查看 · 查看");
			await poll(() => page.locator("#live-state").textContent()).toBe("实时更新中");
			const cell = page.locator('button.unit[data-id="1-2-1"]');
			await poll(
				async () => {
					await cell.click();
					return page.locator("#hold-panel").textContent();
				},
				{ interval: 500 },
			).toContain("b1");
			expect(await page.locator("#hold-panel").getByRole("button").count()).toBe(0);
			expect(await page.locator("#hold-panel").textContent()).toContain("不能确认认购或释放");
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);

	it(
		"a wrong token is refused at sign-in with a sentence",
		async () => {
			const { eventId } = await seed(3_600_000);
			const page = await staffPage("/console", PHONE, null);
			await signInOn(page, eventId, "not-a-staff-token-at-all", "读取");
			await poll(() => page.locator("#message").textContent()).toContain("令牌无效");
			expect(await page.locator("#who").isVisible()).toBe(false);
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});

describe("issue 11: the operator manages staff accounts", () => {
	it(
		"creates an account whose token is shown once; revoking it signs that page out on its next request",
		async () => {
			const { eventId } = await seedHold();
			const consolePage = await staffPage(`/console?event=${eventId}`, DESKTOP);
			await consolePage.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
			await poll(() => consolePage.locator("#staff-list").textContent()).not.toBe("");
			const name = `孙销售${Date.now().toString(36)}`;
			await consolePage.getByLabel("姓名").fill(name);
			await consolePage.getByLabel("角色").selectOption({ label: "销售" });
			await consolePage.getByRole("button", { name: "创建账号" }).click();

			const dialog = consolePage.getByRole("dialog");
			await poll(() => dialog.textContent()).toContain("只显示这一次");
			const newToken = await dialog.getByRole("textbox").inputValue();
			expect(newToken.length).toBeGreaterThanOrEqual(20);
			await dialog.getByRole("button", { name: "复制" }).click();
			await poll(() => dialog.textContent()).toContain("已复制");
			expect(await consolePage.evaluate(() => navigator.clipboard.readText())).toBe(newToken);
			await dialog.getByRole("button", { name: "我已保存" }).click();
			await poll(() => dialog.count()).toBe(0);
			// Not shown again: nowhere on the page once the dialog is closed.
			expect(await consolePage.evaluate((tk) => document.documentElement.outerHTML.includes(tk), newToken)).toBe(false);
			const row = consolePage.locator("#staff-list tr", { hasText: name });
			await poll(() => row.textContent()).toContain("有效");
			expect(await row.textContent()).toContain("销售");

			// That person's dashboard, signed in with the new token.
			const dashboard = await staffPage(`/dashboard?event=${eventId}`, PHONE, newToken);
			await poll(() => dashboard.locator("#who").textContent()).toContain(`${name} · 销售`);
			await poll(() => dashboard.locator("#live-state").textContent()).toBe("实时更新中");

			await row.getByRole("button", { name: `撤销 ${name}` }).click();
			await poll(() => dialog.textContent()).toContain(`撤销 ${name}（销售）的令牌？`);
			await dialog.getByRole("button", { name: "撤销" }).click();
			await poll(() => row.textContent()).not.toContain("有效");
			expect(await row.getByRole("button").count()).toBe(0);

			// Its next request (selecting a held unit reads the orders) is refused: the page signs out.
			await dashboard.locator('button.unit[data-id="1-2-1"]').click();
			await poll(() => dashboard.locator("#message").textContent()).toContain("登录已失效");
			expect(await dashboard.locator("#who").isVisible()).toBe(false);
			expect(await dashboard.getByLabel("员工令牌").isVisible()).toBe(true);
			expect(await dashboard.locator("#grid").isVisible()).toBe(false);
			expect(await dashboard.evaluate(() => sessionStorage.getItem("kp_admin_token"))).toBeNull();
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});

describe("issue 11: the event ledger on the console", () => {
	for (const [label, viewport] of WIDTHS) {
		it(
			`${label}: the head is shown large, in groups of four, and the ledger downloads as JSON Lines`,
			async () => {
				const { eventId } = await seedHold();
				const page = await staffPage(`/console?event=${eventId}`, viewport);
				const groups = page.locator("#ledger-hash .hash-group");
				await poll(() => groups.count()).toBe(16);
				const head = (await (await fetch(`${baseUrl}/api/events/${eventId}/ledger/head`)).json()) as {
					seq: number;
					hash: string;
				};
				await page.getByRole("button", { name: "刷新账本" }).click();
				await poll(async () => (await groups.allTextContents()).join("")).toBe(head.hash);
				for (const g of await groups.allTextContents()) expect(g).toMatch(/^[0-9a-f]{4}$/);
				expect(await page.locator("#ledger-seq").textContent()).toBe(String(head.seq));
				// Large enough to photograph, and it fits the screen.
				const seqSize = await page
					.locator("#ledger-seq")
					.evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize));
				expect(seqSize).toBeGreaterThanOrEqual(28);
				const box = await page.locator("#ledger-hash").boundingBox();
				expect(box && box.x + box.width).toBeLessThanOrEqual(viewport.width);

				const download = page.waitForEvent("download");
				await page.getByRole("button", { name: "下载账本（JSON Lines）" }).click();
				const file = await download;
				expect(file.suggestedFilename()).toBe(`ledger-${eventId}.jsonl`);
				const lines = readFileSync(await file.path(), "utf8")
					.trim()
					.split("\n");
				const entries = lines.map((l) => JSON.parse(l) as { seq: number; hash: string });
				expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
				expect(entries.find((e) => e.seq === head.seq)?.hash).toBe(head.hash);
				expect(problems).toEqual([]);
			},
			SLOW_TEST,
		);
	}
});
