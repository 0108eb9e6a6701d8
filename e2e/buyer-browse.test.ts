// The buyer page's features of issue 13 ("missing that buyers ask for first"), in a real Chromium
// against the real dev server, on a phone (390×844) first and at desktop width: unit details with the
// floor plan, orientation, 万元 and price per ㎡; filters by building, floor, layout and price; browsing
// before login and before the opening, with a claim button that says what is needed; and, once staff
// confirm the deposit, 认购成功 with a printable 认购确认书 (only the certificate prints). Each state is
// checked with axe-core (no serious or critical violation).
import type { Page } from "playwright-core";
import { describe, expect, inject, it, vi } from "vitest";
import { buyerKit, logIn, openBuyer, shownInView } from "./buyer-kit";
import { DESKTOP, PHONE, seriousViolations, useBrowserPages, WIDTHS } from "./pages";

const baseUrl = inject("baseUrl");
const kit = buyerKit(baseUrl, inject("adminToken"));

vi.setConfig({ expect: { poll: { timeout: 6_000, interval: 50 } } });

const browserPages = useBrowserPages(baseUrl);
const { problems } = browserPages;

function buyerPage(eventId: string, viewport = PHONE): Promise<Page> {
	return openBuyer(browserPages, eventId, { viewport });
}

/** Beijing time as the page writes it (web/buyer/beijing-time.ts), computed here independently. */
function beijing(iso: string): string {
	const text = new Date(iso).toLocaleString("zh-CN", {
		timeZone: "Asia/Shanghai",
		year: "numeric",
		month: "long",
		day: "numeric",
		hour: "2-digit",
		minute: "2-digit",
		hour12: false,
	});
	return `${text}（北京时间）`;
}

const cells = (page: Page) => page.locator("#grid button.unit");
const cell = (page: Page, id: string) => page.locator(`#grid button.unit[data-id="${id}"]`);
const ids = (page: Page) => cells(page).evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.id).sort());

// The demo catalogue (scripts/demo-data.mjs): unit 01 of a floor is 3室2厅2卫, 128.6 ㎡, 南北, with
// /floorplans/3br.svg; on floor f it costs 128.6 × (42,000 + 350 f + 1,500) yuan.
// 1号楼 501: 128.6 × 45,250 = 5,819,150 yuan → 581.92 万元, 45,250 元/㎡.

describe("unit details: floor plan, orientation, area, 万元 and per ㎡", () => {
	it("phone: the sticky panel gives the facts in one line and the floor plan on demand (lazy, with alt text)", async () => {
		const { eventId } = await kit.seed();
		const page = await buyerPage(eventId, PHONE);
		await cell(page, "1-05-01").click();
		const selected = page.locator("#selected");
		await expect.poll(() => selected.textContent()).toContain("1号楼 501");
		const text = (await selected.textContent()) ?? "";
		expect(text).toContain("3室2厅2卫");
		expect(text).toContain("南北通透");
		expect(text).toContain("128.6 ㎡");
		expect(text).toContain("581.92 万元");
		expect(text).toContain("45,250 元/㎡");
		// Folded on a phone: the grid keeps the screen, and a folded plan is not even fetched.
		const plan = page.locator("#selected details.floor-plan");
		const img = plan.locator("img");
		expect(await plan.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
		expect(await img.getAttribute("loading")).toBe("lazy");
		expect(await img.getAttribute("alt")).toBe("1号楼 501 户型图：3室2厅2卫，128.6 ㎡");
		await plan.locator("summary").click();
		await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
		expect(await img.isVisible()).toBe(true);
		expect(await seriousViolations(page)).toEqual([]);
		expect(problems).toEqual([]);
	});

	it("desktop: the plan shows at once; a unit without one shows none; the API refuses a bad plan or orientation", async () => {
		const { eventId } = await kit.seed({ opensInMs: 3_600_000 });
		// A listing without details, and one that clears them (null).
		await kit.admin("PUT", `/api/admin/events/${eventId}/listings`, {
			listings: [
				{
					id: "1-01-02",
					building: "1号楼",
					floor: 1,
					unit: "02",
					layout: "2室2厅1卫",
					areaM2: 89.2,
					priceCents: 390_000_000,
				},
				{
					id: "1-01-03",
					building: "1号楼",
					floor: 1,
					unit: "03",
					layout: "2室2厅1卫",
					areaM2: 89.2,
					priceCents: 390_000_000,
					floorPlanUrl: null,
					orientation: null,
				},
			],
		});
		for (const bad of [
			{ floorPlanUrl: "javascript:alert(1)" },
			{ floorPlanUrl: "//evil.example/a.svg" },
			{ orientation: "朝南" },
		]) {
			const res = await fetch(`${baseUrl}/api/admin/events/${eventId}/listings`, {
				method: "PUT",
				headers: { authorization: `Bearer ${inject("adminToken")}`, "content-type": "application/json" },
				body: JSON.stringify({
					listings: [
						{ id: "1-01-01", building: "1号楼", floor: 1, unit: "01", layout: "x", areaM2: 1, priceCents: 1, ...bad },
					],
				}),
			});
			expect(res.status).toBe(400);
			const body = (await res.json()) as { error: { code: string; message: string } };
			expect(body.error.code).toBe("invalid_request");
			expect(body.error.message).toContain(Object.keys(bad)[0]);
		}
		const page = await buyerPage(eventId, DESKTOP);
		await cell(page, "1-05-01").click();
		const img = page.locator("#selected details.floor-plan img");
		await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
		expect(await img.isVisible()).toBe(true);
		// The bad upsert changed nothing: 1-01-01 keeps its plan and orientation.
		await cell(page, "1-01-01").click();
		await expect.poll(() => page.locator("#selected").textContent()).toContain("1号楼 101");
		expect(await page.locator("#selected").textContent()).toContain("南北通透");
		for (const id of ["1-01-02", "1-01-03"]) {
			await cell(page, id).click();
			await expect.poll(() => page.locator("#selected .unit-title").textContent()).toBe(`1号楼 1${id.slice(-2)}`);
			expect(await page.locator("#selected details.floor-plan").count()).toBe(0);
			expect(await page.locator("#selected").textContent()).not.toContain("朝向");
			expect(await page.locator("#selected").textContent()).toContain("390 万元");
		}
		expect(await seriousViolations(page)).toEqual([]);
		expect(problems).toEqual([]);
	});
});

describe("filters: building, floor range, layout, price range (万元)", () => {
	// 2号楼, floors 5–8, 2室2厅1卫 (units 02 and 03), at most 395 万元: floors 5 (390.25) and 6 (393.37);
	// floor 7 costs 396.49 万元.
	const MATCHING = ["2-05-02", "2-05-03", "2-06-02", "2-06-03"];

	async function setFilters(page: Page): Promise<void> {
		await page.locator("#filter-building").selectOption("2号楼");
		await page.locator("#filter-layout").selectOption("2室2厅1卫");
		await page.locator("#filter-floor-min").fill("5");
		await page.locator("#filter-floor-max").fill("8");
		await page.locator("#filter-price-max").fill("395");
	}

	it("phone: folded at first, opened and used by keyboard alone; the grid shows only the matches and says how many", async () => {
		const { eventId } = await kit.seed();
		const page = await buyerPage(eventId, PHONE);
		await expect.poll(() => cells(page).count()).toBe(160);
		await expect.poll(() => page.locator("#filter-count").textContent()).toBe("共 160 套");
		expect(await page.locator("#filter-building").isVisible()).toBe(false);
		// Keyboard: the summary opens the form, Tab walks its labelled controls in order.
		await page.locator("details.filters > summary").focus();
		await page.keyboard.press("Enter");
		await expect.poll(() => page.locator("#filter-building").isVisible()).toBe(true);
		const order: string[] = [];
		for (let i = 0; i < 7; i++) {
			await page.keyboard.press("Tab");
			order.push(await page.evaluate(() => document.activeElement?.id ?? ""));
		}
		expect(order).toEqual([
			"filter-building",
			"filter-layout",
			"filter-floor-min",
			"filter-floor-max",
			"filter-price-min",
			"filter-price-max",
			"filter-reset",
		]);
		// Typed from the keyboard: the building by its first letters, the numbers as digits.
		await page.locator("#filter-building").focus();
		await page.keyboard.press("ArrowDown");
		await page.keyboard.press("ArrowDown");
		await expect.poll(() => page.locator("#filter-building").inputValue()).toBe("2号楼");
		await page.locator("#filter-floor-min").focus();
		await page.keyboard.type("5");
		await page.locator("#filter-floor-max").focus();
		await page.keyboard.type("8");
		await page.locator("#filter-price-max").focus();
		await page.keyboard.type("395");
		await page.locator("#filter-layout").selectOption("2室2厅1卫");
		await expect.poll(() => ids(page)).toEqual(MATCHING);
		expect(await page.locator("#filter-count").textContent()).toBe("符合条件 4 套（共 160 套）");
		// Folding the form keeps the filter and the count.
		await page.locator("details.filters > summary").click();
		expect(await page.locator("#filter-count").isVisible()).toBe(true);
		expect(await ids(page)).toEqual(MATCHING);
		expect(await seriousViolations(page)).toEqual([]);
		// Nothing matches: said in words; clearing brings every unit back.
		await page.locator("details.filters > summary").click();
		await page.locator("#filter-price-min").fill("9999");
		await expect.poll(() => page.locator("#filter-count").textContent()).toBe("没有符合条件的房源，请放宽筛选条件。");
		expect(await cells(page).count()).toBe(0);
		await page.locator("#filter-reset").click();
		await expect.poll(() => cells(page).count()).toBe(160);
		expect(problems).toEqual([]);
	});

	it("the filters keep their state while live updates arrive, and units left out keep their live status", async () => {
		const { eventId, buyers } = await kit.seed({ perBuyerLimit: 1 });
		const page = await buyerPage(eventId, PHONE);
		await logIn(page, buyers[0]);
		await expect.poll(() => page.locator("#live-state").textContent()).toBe("实时更新中");
		await page.locator("details.filters > summary").click();
		await setFilters(page);
		await expect.poll(() => ids(page)).toEqual(MATCHING);
		// Two rivals claim: one unit the filter shows, one it leaves out.
		const [a, b] = [await kit.device(eventId, buyers[1]), await kit.device(eventId, buyers[2])];
		await a.claim("2-05-02");
		await b.claim("1-01-01");
		await expect.poll(() => cell(page, "2-05-02").getAttribute("data-status")).toBe("held");
		expect(await ids(page)).toEqual(MATCHING);
		expect(await page.locator("#filter-building").inputValue()).toBe("2号楼");
		expect(await page.locator("#filter-floor-min").inputValue()).toBe("5");
		expect(await page.locator("#filter-price-max").inputValue()).toBe("395");
		expect(await page.locator("#filter-count").textContent()).toBe("符合条件 4 套（共 160 套）");
		// Widened again: the unit claimed while it was filtered out shows as taken.
		await page.locator("#filter-reset").click();
		await expect.poll(() => cells(page).count()).toBe(160);
		// Polled: the two claims may reach the page in two frames a flush interval apart (under load).
		await expect.poll(() => cell(page, "1-01-01").getAttribute("data-status"), { timeout: 3_000 }).toBe("held");
		expect(problems).toEqual([]);
	});

	it("desktop: the filters are open above the grid", async () => {
		const { eventId } = await kit.seed();
		const page = await buyerPage(eventId, DESKTOP);
		await expect.poll(() => page.locator("#filter-building").isVisible()).toBe(true);
		await setFilters(page);
		await expect.poll(() => ids(page)).toEqual(MATCHING);
		const filterBox = await page.locator("#filters").boundingBox();
		const gridBox = await page.locator("#grid").boundingBox();
		expect(filterBox && gridBox && filterBox.y + filterBox.height <= gridBox.y).toBe(true);
		expect(await seriousViolations(page)).toEqual([]);
		expect(problems).toEqual([]);
	});
});

describe("browsing before login and before the opening", () => {
	it("phone: grid, details and filters work without a session; the button says log in, and when the sale opens", async () => {
		const { eventId, buyers } = await kit.seed({ opensInMs: 3_600_000 });
		const event = (await (await fetch(`${baseUrl}/api/events/${eventId}`)).json()) as { event: { startsAt: string } };
		const page = await buyerPage(eventId, PHONE);
		await expect.poll(() => cells(page).count()).toBe(160);
		expect(await page.locator("#login-panel").isVisible()).toBe(true);
		// By keyboard: Enter selects, and focus stays in the grid (the button cannot claim yet).
		await cell(page, "2-10-03").focus();
		await page.keyboard.press("Enter");
		await expect.poll(() => page.locator("#selected").textContent()).toContain("2号楼 1003");
		expect(await page.evaluate(() => document.activeElement?.getAttribute("data-id"))).toBe("2-10-03");
		const button = page.locator("#claim");
		const needs = page.locator("#claim-needs");
		await expect.poll(() => button.textContent()).toBe("登录后可锁定");
		expect(await needs.textContent()).toContain("请先登录");
		expect(await needs.textContent()).toContain(`开盘时间：${beijing(event.event.startsAt)}`);
		expect(await shownInView(page, /登录后可锁定/)).toBe(true);
		// The button leads to what is needed: the login form.
		await button.click();
		await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("buyer-id");
		expect(await seriousViolations(page)).toEqual([]);
		// Logged in: the login is no longer needed, the opening still is.
		await logIn(page, buyers[0]);
		await cell(page, "2-10-03").click();
		await expect.poll(() => button.textContent()).toBe("开盘后可锁定");
		expect(await needs.textContent()).toBe(`开盘时间：${beijing(event.event.startsAt)}`);
		// Open: nothing is missing any more, and the line says nothing.
		await kit.setStatus(eventId, "open");
		await expect.poll(() => button.textContent(), { timeout: 10_000 }).toBe("立即锁定");
		expect(await needs.textContent()).toBe("");
		// Logged out: still browsing, the button asks for the login again.
		await page.locator("#logout").click();
		await expect.poll(() => button.textContent()).toBe("登录后可锁定");
		expect(await cells(page).count()).toBe(160);
		expect(problems).toEqual([]);
	});

	it("desktop: without a session the catalogue follows the sale by polling the public read", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId, DESKTOP);
		await expect.poll(() => cells(page).count()).toBe(160);
		expect(await page.locator("#holds-panel").isVisible()).toBe(false);
		const rival = await kit.device(eventId, buyers[1]);
		await rival.claim("1-12-04");
		await expect.poll(() => cell(page, "1-12-04").getAttribute("data-status"), { timeout: 12_000 }).toBe("held");
		await cell(page, "1-12-04").click();
		await expect.poll(() => page.locator("#claim").textContent()).toBe("已被抢");
		expect(await seriousViolations(page)).toEqual([]);
		expect(problems).toEqual([]);
	});
});

describe("finishing the purchase: 认购成功 and the 认购确认书", () => {
	for (const [name, viewport] of WIDTHS) {
		it(`${name}: staff confirm the deposit; the buyer sees 认购成功 and a certificate that prints alone`, async () => {
			const { eventId, buyers } = await kit.seed();
			// The buyer's registered name (the list may change until the first hold).
			await kit.admin("PUT", `/api/admin/events/${eventId}/buyers`, { buyers: [{ id: buyers[0].id, name: "张三" }] });
			const page = await buyerPage(eventId, viewport);
			await logIn(page, buyers[0]);
			await cell(page, "1-05-01").click();
			await page.locator("#claim").click();
			const held = page.locator('#holds li[data-status="held"]');
			await held.waitFor();
			const holdId = (await held.getAttribute("data-hold")) ?? "";
			expect(await page.locator("#certificate").isVisible()).toBe(false);
			const { hold } = (await kit.admin("POST", `/api/admin/holds/${holdId}/confirm`)) as {
				hold: { updatedAt: string };
			};
			const certificate = page.locator("#certificate article.certificate");
			// Live: the page hears of it through the feed, without a reload.
			await expect.poll(() => certificate.isVisible()).toBe(true);
			expect(await page.locator("#certificate").textContent()).toContain("认购成功");
			const field = (key: string) => certificate.locator(`dd[data-field="${key}"]`).textContent();
			expect(await certificate.locator(".cert-title").textContent()).toBe("认购确认书");
			expect(await field("certEvent")).toBe("滨江壹号 · 买家页测试");
			expect(await field("certUnit")).toBe("1号楼 501");
			expect(await field("certArea")).toBe("128.6 ㎡");
			expect(await field("certTotal")).toBe("581.92 万元");
			expect(await field("unitPrice")).toBe("45,250 元/㎡");
			expect(await field("certBuyerId")).toBe(buyers[0].id);
			expect(await field("certBuyerName")).toBe("张三");
			expect(await field("certHoldId")).toBe(holdId);
			expect(await field("certConfirmedAt")).toBe(beijing(hold.updatedAt));
			expect(await seriousViolations(page)).toEqual([]);

			// The same after a reload (from /api/me/holds' confirmedAt).
			await page.reload();
			await expect.poll(() => certificate.isVisible()).toBe(true);
			expect(await field("certConfirmedAt")).toBe(beijing(hold.updatedAt));

			// 打印 asks the browser to print.
			await page.evaluate(() => {
				window.print = () => {
					document.body.dataset.printed = "yes";
				};
			});
			await page.locator("#print-certificate").click();
			expect(await page.evaluate(() => document.body.dataset.printed)).toBe("yes");

			// Printed: the certificate and nothing else.
			await page.emulateMedia({ media: "print" });
			expect(await certificate.isVisible()).toBe(true);
			for (const other of [
				"#banner",
				"header.top",
				"#grid-panel",
				"#select-panel",
				"#holds",
				"#print-certificate",
				".cert-success",
			]) {
				expect(await page.locator(other).first().isVisible(), other).toBe(false);
			}
			const visibleTexts = await page.evaluate(() =>
				[...document.querySelectorAll<HTMLElement>("body *")]
					.filter((el) => el.children.length === 0 && el.checkVisibility() && (el.textContent ?? "").trim() !== "")
					.filter((el) => !el.closest("article.certificate"))
					.map((el) => el.textContent),
			);
			expect(visibleTexts).toEqual([]);
			const pdf = await page.pdf({ format: "A4" });
			expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
			// One certificate, one page.
			expect(pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g)?.length).toBe(1);
			await page.emulateMedia({ media: "screen" });
			expect(problems).toEqual([]);
		});
	}
});
