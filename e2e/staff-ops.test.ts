// Issue 13's remaining staff and operator parts, in a real Chromium against the real dev server, at
// phone (390×844) and desktop width: a buyer list saved by Chinese Excel (GBK) imports with its names
// intact; the dashboard names the buyer of a hold with a phone to tap; the sales control sheet (销控表)
// lists holds by time left and totals by building and layout, and exports them; the console lists the
// events; and the operator's announcement reaches buyers' pages live, as text, never as markup.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { KaipanClient } from "../client/kaipan-client";
import { adminRequest } from "../scripts/demo-data.mjs";
// The export's clock, pinned to literal Beijing times by web/shared/orders-csv.test.ts.
import { beijingTime } from "../web/shared/orders-csv";
import { logIn, openBuyer, shownInView } from "./buyer-kit";
import { poll, seriousViolations, useBrowserPages, WIDTHS } from "./pages";
import { seedSmallEvent } from "./small-event";

const baseUrl = inject("baseUrl");
const token = inject("adminToken");
const admin = (method: string, path: string, body?: unknown) => adminRequest(baseUrl, token, method, path, body);

const SLOW_TEST = 120_000;

/** The buyer list as Chinese Excel saves "CSV" (GBK), made with `iconv -f utf-8 -t gbk`. */
const GBK_BUYERS = readFileSync(new URL("./fixtures/buyers-gbk.csv", import.meta.url));

const browserPages = useBrowserPages(baseUrl);
const { problems } = browserPages;
let ip = 0;

function staffPage(path: string, viewport: { width: number; height: number }, staffToken = token): Promise<Page> {
	return browserPages.open(path, {
		viewport,
		staffToken,
		acceptDownloads: true,
		timeout: 8_000,
		navigationTimeout: 30_000,
		ignore: /status of [45]|WebSocket/,
	});
}

/** 2 buildings × 3 floors × 2 units (two layouts), buyers b1, b2 and b3 with name and phone. */
async function seed(name: string, opensInMs = 3_600_000, buyers = true) {
	const { eventId } = await seedSmallEvent(admin, {
		prefix: "so",
		name,
		opensInMs,
		holdSeconds: 600,
		layout: (u) => (u === 1 ? "三室两厅" : "两室一厅"),
		buyers: buyers
			? [
					{ id: "b1", name: "张三", accessCode: "24681012", phone: "+8613800000001" },
					{ id: "b2", name: "李四", accessCode: "13579111", phone: "13800000002" },
					{ id: "b3", name: "王五", accessCode: "11223344", phone: "13800000003" },
				]
			: undefined,
	});
	return { eventId, name };
}

const CODES: Record<string, string> = { b1: "24681012", b2: "13579111", b3: "11223344" };

async function claimAs(eventId: string, buyerId: string, listingId: string) {
	ip += 1;
	const client = new KaipanClient({ baseUrl, headers: { "cf-connecting-ip": `2001:db8:7::${ip}` } });
	await client.login(eventId, buyerId, CODES[buyerId] ?? "");
	return client.claim(listingId);
}

async function orders(eventId: string): Promise<{ holdId: string; status: string; createdAt: string }[]> {
	return (await admin("GET", `/api/admin/events/${eventId}/orders`)).orders;
}

/** axe-core's serious and critical violations, every default rule. */
const axeViolations = (page: Page) => seriousViolations(page, { allRules: true });

async function downloadText(page: Page, button: string): Promise<Buffer> {
	const download = page.waitForEvent("download");
	await page.getByRole("button", { name: button }).click();
	return readFileSync(await (await download).path());
}

describe("defect 5: a buyer list saved by Chinese Excel (GBK) keeps its names", () => {
	for (const [label, viewport] of WIDTHS) {
		it(
			`${label}: the console reads it as GB18030, says so, and imports every name intact`,
			async () => {
				// The fixture really is GBK: as UTF-8 it is not even valid.
				expect(() => new TextDecoder("utf-8", { fatal: true }).decode(GBK_BUYERS)).toThrow();
				const { eventId } = await seed(`GBK 导入 ${label}`, 3_600_000, false);
				const page = await staffPage(`/console?event=${eventId}`, viewport);
				await poll(() => page.locator("#event-summary").textContent()).toContain("房源 12 套");
				await page
					.getByLabel("认筹客户 CSV")
					.setInputFiles({ name: "认筹客户.csv", mimeType: "text/csv", buffer: GBK_BUYERS });
				await page.locator("#import-buyers button[type=submit]").click();
				const result = page.locator("#import-buyers .result");
				await poll(() => result.textContent()).toContain("已导入 3 行");
				expect(await result.textContent()).toContain("GBK/GB18030");
				const { buyers } = await admin("GET", `/api/admin/events/${eventId}/buyers`);
				expect(buyers).toEqual([
					{ id: "b1", name: "张三", phone: "+8613800000001" },
					{ id: "b2", name: "欧阳娜娜", phone: "13800000002" },
					{ id: "b3", name: "龍鳳", phone: "13800000003" },
				]);

				// Bytes that are neither UTF-8 nor GBK: nothing is imported, and the console says why.
				const broken = Buffer.concat([Buffer.from("id,name\r\nb9,"), Buffer.from([0xff, 0xff]), Buffer.from("\r\n")]);
				await page.getByLabel("认筹客户 CSV").setInputFiles({ name: "坏.csv", mimeType: "text/csv", buffer: broken });
				await page.locator("#import-buyers button[type=submit]").click();
				await poll(() => result.textContent()).toContain("无法识别文件的编码");
				expect((await admin("GET", `/api/admin/events/${eventId}`)).counts.buyers).toBe(3);
				expect(problems).toEqual([]);
			},
			SLOW_TEST,
		);
	}
});

describe("the dashboard names the buyer of a hold, with a phone to tap", () => {
	for (const [label, viewport] of WIDTHS) {
		it(
			`${label}: the hold details show 张三 and a tel: link; a viewer sees the phone masked and not linked`,
			async () => {
				const { eventId } = await seed(`买家电话 ${label}`);
				await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" });
				await claimAs(eventId, "b1", "1-2-1");
				const page = await staffPage(`/dashboard?event=${eventId}`, viewport);
				await poll(() => page.locator("#live-state").textContent()).toBe("实时更新中");
				const cell = page.locator('button.unit[data-id="1-2-1"]');
				await poll(() => cell.getAttribute("data-status")).toBe("held");
				const panel = page.locator("#hold-panel");
				await poll(
					async () => {
						await cell.click();
						return panel.locator(".hold-buyer").isVisible();
					},
					{ timeout: 10_000, interval: 500 },
				).toBe(true);
				expect(await panel.locator(".hold-buyer").textContent()).toContain("张三");
				const call = panel.getByRole("link", { name: "拨打 张三 的电话 +8613800000001" });
				expect(await call.getAttribute("href")).toBe("tel:+8613800000001");
				if (label === "phone") {
					// On a phone the link is a real target, and in view in the sheet over the grid.
					await poll(async () => (await call.boundingBox())?.height ?? 0).toBeGreaterThanOrEqual(44);
					expect(await shownInView(page, /\+8613800000001/)).toBe(true);
				}

				const viewer = await admin("POST", "/api/admin/staff", { name: `查看 ${label}`, role: "viewer" });
				const seen = await staffPage(`/dashboard?event=${eventId}`, viewport, viewer.token);
				await poll(() => seen.locator("#live-state").textContent()).toBe("实时更新中");
				await poll(
					async () => {
						await seen.locator('button.unit[data-id="1-2-1"]').click();
						return seen.locator("#hold-panel .hold-buyer").textContent();
					},
					{ timeout: 10_000, interval: 500 },
				).toContain("张三");
				expect(await seen.locator("#hold-panel .hold-buyer").textContent()).toContain("*********0001");
				expect(await seen.locator('#hold-panel a[href^="tel:"]').count()).toBe(0);
				expect(problems).toEqual([]);
			},
			SLOW_TEST,
		);
	}
});

describe("the sales control sheet (销控表)", () => {
	for (const [label, viewport] of WIDTHS) {
		it(
			`${label}: holds by time left with name and phone, totals by building and layout, CSV exports`,
			async () => {
				const { eventId } = await seed(`销控表 ${label}`);
				await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" });
				await claimAs(eventId, "b2", "2-1-2");
				await new Promise((r) => setTimeout(r, 1_100));
				await claimAs(eventId, "b1", "1-3-1");
				const sold = await claimAs(eventId, "b3", "1-1-1");
				await admin("POST", `/api/admin/holds/${sold.holdId}/confirm`);
				await poll(async () => (await orders(eventId)).map((o) => o.status).sort()).toEqual([
					"confirmed",
					"held",
					"held",
				]);
				const page = await staffPage(`/dashboard?event=${eventId}`, viewport);
				const sheet = page.locator("#sales-sheet");
				await sheet.getByRole("heading", { name: "销控表" }).scrollIntoViewIfNeeded();
				const rows = sheet.locator("table.sales-holds tbody tr");
				await poll(() => rows.count(), { timeout: 20_000 }).toBe(2);
				// Least time left first: b2 claimed first.
				const units = await rows.locator("th").allTextContents();
				expect(units).toEqual(["2号楼 102", "1号楼 301"]);
				expect(await rows.nth(0).textContent()).toContain("李四");
				expect(await rows.nth(1).textContent()).toContain("张三");
				expect(await rows.nth(1).getByRole("link").getAttribute("href")).toBe("tel:+8613800000001");
				await poll(() => rows.nth(0).locator(".hold-left").textContent()).toMatch(/^剩余 00:(09|10):\d\d$/);

				const building = sheet.locator("#sales-by-building table");
				const cells = async (row: string) =>
					await building
						.locator("tr", { has: page.locator("th", { hasText: row }) })
						.locator("td")
						.allTextContents();
				expect(await cells("1号楼")).toEqual(["6", "1", "1", "4", "16.7%"]);
				expect(await cells("2号楼")).toEqual(["6", "0", "1", "5", "0.0%"]);
				expect(await cells("合计")).toEqual(["12", "1", "2", "9", "8.3%"]);
				const layout = sheet.locator("#sales-by-layout table");
				expect(await layout.locator("tbody th").allTextContents()).toEqual(["三室两厅", "两室一厅"]);

				const holds = await downloadText(page, "导出锁定明细 CSV");
				expect([...holds.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
				const lines = holds.subarray(3).toString("utf8").split("\r\n");
				expect(lines[0]).toBe("房源,买家姓名,电话,锁定时间（北京时间）,到期时间（北京时间）,买家,房源编号,锁定编号");
				const all = await orders(eventId);
				const first = all.find((o) => o.status === "held");
				expect(lines[1]).toContain(`2号楼 102,李四,13800000002,${beijingTime(first?.createdAt ?? "")}`);
				expect(lines[2]).toContain("1号楼 301,张三,'+8613800000001,");
				const summary = await downloadText(page, "导出销售汇总 CSV");
				expect([...summary.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
				expect(summary.subarray(3).toString("utf8")).toContain("楼栋,合计,12,1,2,9,8.3%");

				// Staff release a hold: the sheet follows without a reload.
				const second = all.filter((o) => o.status === "held")[1];
				await admin("POST", `/api/admin/holds/${second?.holdId}/release`);
				await poll(() => rows.count(), { timeout: 20_000 }).toBe(1);
				expect(await axeViolations(page)).toEqual([]);
				expect(problems).toEqual([]);
			},
			SLOW_TEST,
		);
	}
});

describe("the operator's list of events, and the new-event form", () => {
	for (const [label, viewport] of WIDTHS) {
		it(
			`${label}: the console lists the events; one is opened from the list; a new one appears in it`,
			async () => {
				const a = await seed(`甲活动 ${label}`);
				const b = await seed(`乙活动 ${label}`);
				const page = await staffPage(`/console?event=${a.eventId}`, viewport);
				const list = page.locator("#event-list");
				await poll(() => list.locator(`tr[data-event="${b.eventId}"]`).count()).toBe(1);
				const rowB = list.locator(`tr[data-event="${b.eventId}"]`);
				expect(await rowB.textContent()).toContain("共 12 套");
				expect(await list.locator(`tr[data-event="${a.eventId}"]`).getAttribute("aria-current")).toBe("true");
				await rowB.getByRole("button", { name: `打开 ${b.name}` }).click();
				await poll(() => page.locator("#event-summary").textContent()).toContain(b.name);
				expect(new URL(page.url()).searchParams.get("event")).toBe(b.eventId);

				// A new event from its own form shows up in the list; its id taken, the form refuses.
				const newId = `${b.eventId}-n`;
				await page.getByRole("button", { name: "新建活动" }).click();
				await page.getByLabel("活动编号").nth(1).fill(newId);
				await page.getByLabel("活动名称").fill(`新活动 ${label}`);
				await page.getByRole("button", { name: "创建", exact: true }).click();
				await poll(() => list.locator(`tr[data-event="${newId}"]`).count()).toBe(1);
				await page.getByRole("button", { name: "新建活动" }).click();
				await page.getByLabel("活动编号").nth(1).fill(a.eventId);
				await page.getByLabel("活动名称").fill("覆盖它？");
				await page.getByRole("button", { name: "创建", exact: true }).click();
				await poll(() => page.locator("#event-form-message").textContent()).toContain("已存在");
				expect((await admin("GET", `/api/admin/events/${a.eventId}`)).event.name).toBe(a.name);
				expect(problems).toEqual([]);
			},
			SLOW_TEST,
		);
	}
});

describe("the operator's announcement on buyers' pages", () => {
	for (const [label, viewport] of WIDTHS) {
		it(
			`${label}: posted in the console, shown live to a buyer, as text; taken down, it goes away`,
			async () => {
				const { eventId } = await seed(`公告 ${label}`);
				await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" });
				const buyer = await openBuyer(browserPages, eventId, { viewport });
				await logIn(buyer, { id: "b1", accessCode: "24681012" });
				await poll(() => buyer.locator("#live-state").textContent()).toContain("实时更新中");
				const visitor = await openBuyer(browserPages, eventId, { viewport });

				const consolePage = await staffPage(`/console?event=${eventId}`, viewport);
				await poll(() => consolePage.locator("#event-summary").textContent()).toContain("房源 12 套");
				await admin("POST", `/api/admin/events/${eventId}/status`, { status: "paused" });
				// From here on the logged-in buyer's event reads hang: only the live feed can bring the word.
				let release: () => void = () => undefined;
				const gate = new Promise<void>((r) => {
					release = r;
				});
				await buyer.route(`**/api/events/${eventId}`, async (route) => {
					await gate;
					await route.continue().catch(() => undefined);
				});
				const text = '系统维护，开盘暂停。\n预计 10:30 恢复。<img src=x onerror="window.__pwned=1">';
				await consolePage.getByLabel("公告内容").fill(text);
				await consolePage.getByRole("button", { name: "发布公告" }).click();
				await poll(() => consolePage.locator("#message").textContent()).toContain("公告已发布");

				const banner = buyer.locator("#announcement");
				await poll(() => banner.isVisible(), { interval: 50 }).toBe(true);
				expect(await banner.locator(".announcement-text").textContent()).toBe(text);
				expect(await banner.locator("img").count()).toBe(0);
				expect(await buyer.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
				// On a phone it is where the buyer looks, not below the grid.
				expect(await shownInView(buyer, /系统维护，开盘暂停/)).toBe(true);
				// A page that was not logged in reads it with the event.
				await poll(() => visitor.locator("#announcement .announcement-text").textContent(), { timeout: 10_000 }).toBe(
					text,
				);
				expect(await consolePage.locator("#announcement-current").textContent()).toContain("系统维护");
				expect(await axeViolations(buyer)).toEqual([]);
				expect(await axeViolations(consolePage)).toEqual([]);

				await consolePage.getByRole("button", { name: "撤下公告" }).click();
				await consolePage.getByRole("dialog").getByRole("button", { name: "撤下公告" }).click();
				await poll(() => banner.isVisible(), { interval: 50 }).toBe(false);
				await poll(() => visitor.locator("#announcement").isVisible(), { timeout: 10_000 }).toBe(false);
				release();
				expect(problems).toEqual([]);
			},
			// Two buyer pages, a console and axe twice: minutes on a loaded 2-core machine.
			2 * SLOW_TEST,
		);
	}
});
