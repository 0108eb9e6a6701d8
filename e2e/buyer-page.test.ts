// The buyer page as a buyer uses it at the opening minute (issue 13), on a phone (390×844) and at
// desktop width (1280×900), in a real Chromium against the real dev server: whether a claim worked is
// said where the buyer is looking; old messages go when they stop being true; giving a unit up asks
// first; one unit has one name; the wording and the flow a buyer meets; the desktop layout; the keyboard;
// and axe-core finds no serious or critical accessibility problem.
import type { Page } from "playwright-core";
import { describe, expect, inject, it, vi } from "vitest";
import { holdClaims } from "./browser";
import { buyerKit, logIn, openBuyer, shownAnywhere, shownInView, wholeInView } from "./buyer-kit";
import { DESKTOP, seriousViolations, useBrowserPages, WIDTHS } from "./pages";

const baseUrl = inject("baseUrl");
const kit = buyerKit(baseUrl, inject("adminToken"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A claim is a purchase token, a signed request and two objects; on a busy 2-core machine that can take
// more than expect.poll's default second.
vi.setConfig({ expect: { poll: { timeout: 5_000, interval: 50 } } });

const browserPages = useBrowserPages(baseUrl);
const { problems } = browserPages;

function buyerPage(
	eventId: string,
	options: { viewport?: { width: number; height: number }; lang?: "zh" | "en" } = {},
): Promise<Page> {
	return openBuyer(browserPages, eventId, options);
}

/** Scrolls to the unit (the click does, as a finger would), selects it and presses the claim button. */
async function claimOnPage(page: Page, listingId: string): Promise<void> {
	await page.locator(`button.unit[data-id="${listingId}"]`).click();
	await page.locator("#claim").click();
}

const unitCell = (page: Page, id: string) => page.locator(`button.unit[data-id="${id}"]`);

describe("(2) a phone buyer sees whether the claim worked, where they are looking", () => {
	it("the winner sees 已为您锁定 with the unit and the time left beside the claim button; no 请 1 秒后再试", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		// A low floor of the second building: far down the page on a phone.
		await claimOnPage(page, "2-02-03");
		await expect.poll(() => shownInView(page, /已为您锁定\s*2号楼 203/)).toBe(true);
		await expect.poll(() => shownInView(page, /剩余 \d\d:\d\d:\d\d/)).toBe(true);
		const button = page.locator("#claim");
		expect(await button.textContent()).not.toMatch(/秒后再试/);
		await expect.poll(() => button.textContent()).toBe("已为您锁定");
		await sleep(300);
		expect(await button.textContent()).not.toMatch(/秒后再试/);
		expect(problems).toEqual([]);
	});

	it("the loser sees 已被抢 beside the claim button, and the button does not pretend they hold it", async () => {
		const { eventId, buyers } = await kit.seed();
		const [winner, loser] = [buyers[0], buyers[1]];
		const rival = await kit.device(eventId, winner);
		const page = await buyerPage(eventId);
		await logIn(page, loser);
		// Both press at the same moment; the rival's claim reaches the server first.
		const rivalDone = await holdClaims(page);
		await claimOnPage(page, "2-02-03");
		await rival.claim("2-02-03");
		rivalDone();
		await expect.poll(() => shownInView(page, /已被抢/)).toBe(true);
		expect(await shownAnywhere(page, /已为您锁定/)).toEqual([]);
		const button = page.locator("#claim");
		expect(await button.textContent()).not.toMatch(/已锁定|立即锁定/);
		expect(await button.isDisabled()).toBe(true);
		// The winner's own page says the opposite.
		const winnerPage = await buyerPage(eventId);
		await logIn(winnerPage, winner);
		await unitCell(winnerPage, "2-02-03").click();
		await expect.poll(() => shownInView(winnerPage, /已为您锁定\s*2号楼 203/)).toBe(true);
		expect(await winnerPage.locator("#select-panel").textContent()).not.toMatch(/已被抢/);
		expect(problems).toEqual([]);
	});

	it("the limit refusal is shown beside the claim button", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		await claimOnPage(page, "1-20-01");
		await expect.poll(() => shownInView(page, /已为您锁定/)).toBe(true);
		await sleep(1_100); // the button rests a second after any answer
		await claimOnPage(page, "2-01-04");
		await expect.poll(() => shownInView(page, /限购/)).toBe(true);
		expect(problems).toEqual([]);
	});
});

describe("(3) old messages go when they stop being true", () => {
	it("staff releasing or confirming the hold changes what the page says", async () => {
		const { eventId, buyers } = await kit.seed({ perBuyerLimit: 2 });
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		await claimOnPage(page, "1-05-02");
		await expect.poll(() => shownInView(page, /已为您锁定\s*1号楼 502/)).toBe(true);
		const holdId = await page.locator('#holds li[data-status="held"]').getAttribute("data-hold");
		await kit.admin("POST", `/api/admin/holds/${holdId}/release`);
		await expect.poll(() => shownAnywhere(page, /已为您锁定/), { timeout: 3_000 }).toEqual([]);
		await expect.poll(() => shownInView(page, /1号楼 502.*已释放|已释放.*1号楼 502/)).toBe(true);

		await sleep(1_100);
		await claimOnPage(page, "1-06-02");
		await expect.poll(() => shownInView(page, /已为您锁定\s*1号楼 602/)).toBe(true);
		const second = await page.locator('#holds li[data-status="held"]').getAttribute("data-hold");
		await kit.admin("POST", `/api/admin/holds/${second}/confirm`);
		await expect.poll(() => shownAnywhere(page, /已为您锁定/), { timeout: 3_000 }).toEqual([]);
		await expect.poll(() => shownInView(page, /1号楼 602.*(认购成功|已认购)/)).toBe(true);
		expect(problems).toEqual([]);
	});

	it("网络异常 clears when the server answers again", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		const eventUrl = `**/api/events/${eventId}`;
		await page.route(eventUrl, (route) => route.abort("internetdisconnected"));
		await expect.poll(() => shownAnywhere(page, /网络异常/), { timeout: 8_000 }).not.toEqual([]);
		await page.unroute(eventUrl);
		await expect.poll(() => shownAnywhere(page, /网络异常/), { timeout: 8_000 }).toEqual([]);
		expect(problems).toEqual([]);
	});

	it("a limit error does not follow the buyer onto the login screen", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		await claimOnPage(page, "1-03-01");
		await expect.poll(() => shownInView(page, /已为您锁定/)).toBe(true);
		await sleep(1_100);
		await claimOnPage(page, "1-03-02");
		await expect.poll(() => shownAnywhere(page, /限购/)).not.toEqual([]);
		await page.locator("#logout").click();
		await page.locator("#login-panel").waitFor();
		expect(await shownAnywhere(page, /限购|已为您锁定/)).toEqual([]);
		expect(problems).toEqual([]);
	});

	it("the claims-paused message goes when the sale closes", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		await kit.admin("PUT", `/api/admin/events/${eventId}/flags`, { claimsPaused: true });
		await sleep(2_500); // the switches reach every isolate within 2 s
		await claimOnPage(page, "1-04-01");
		// Wherever the page says it (the claim panel; the top message on the page before issue 13).
		const said = page.locator("#message, #claim-outcome");
		await expect.poll(async () => (await said.allTextContents()).join("").trim()).not.toBe("");
		const text = (await said.allTextContents()).join("").trim();
		// (8) words a buyer understands, and what to do.
		expect(text).not.toMatch(/降级/);
		expect(text).toMatch(/稍后再|留在本页/);
		await kit.setStatus(eventId, "closed");
		await expect.poll(() => page.locator("#banner").textContent(), { timeout: 8_000 }).toMatch(/已结束/);
		expect(await shownAnywhere(page, new RegExp(text.slice(0, 12)))).toEqual([]);
		expect(problems).toEqual([]);
	});

	it("while paused or closed the claim button says so, not 开盘后可锁定", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		await unitCell(page, "1-10-01").click();
		const button = page.locator("#claim");
		await expect.poll(() => button.textContent()).toBe("立即锁定");
		await kit.setStatus(eventId, "paused");
		await expect.poll(() => button.textContent(), { timeout: 8_000 }).toMatch(/已暂停/);
		expect(await button.isDisabled()).toBe(true);
		await kit.setStatus(eventId, "closed");
		await expect.poll(() => button.textContent(), { timeout: 8_000 }).toMatch(/已结束/);
		expect(await shownAnywhere(page, /开盘后可锁定/)).toEqual([]);
		expect(problems).toEqual([]);
	});
});

describe("(4) giving a unit up asks first", () => {
	it("放弃 opens a dialog; 保留 keeps the hold, 确认放弃 gives it up", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		await claimOnPage(page, "1-08-03");
		await expect.poll(() => shownInView(page, /已为您锁定/)).toBe(true);
		const giveUp = page.locator("#holds").getByRole("button", { name: /放弃/ });
		await giveUp.click();
		const dialog = page.getByRole("dialog");
		await dialog.waitFor({ timeout: 2_000 });
		expect(await dialog.textContent()).toContain("1号楼 803");
		await dialog.getByRole("button", { name: "保留" }).click();
		await expect.poll(() => dialog.isVisible()).toBe(false);
		await sleep(500);
		expect(await page.locator("#holds li").first().getAttribute("data-status")).toBe("held");
		// Escape also keeps it.
		await giveUp.click();
		await dialog.waitFor();
		await page.keyboard.press("Escape");
		await expect.poll(() => dialog.isVisible()).toBe(false);
		expect(await page.locator("#holds li").first().getAttribute("data-status")).toBe("held");

		await giveUp.click();
		await dialog.getByRole("button", { name: "确认放弃" }).click();
		await expect.poll(() => page.locator("#holds li").first().getAttribute("data-status")).toBe("cancelled");
		expect(problems).toEqual([]);
	});
});

describe("(7) one unit, one name; the buyer's own hold is theirs on the grid", () => {
	it("my holds, the claim message and the grid all say 1号楼 1502; my unit is marked mine in text", async () => {
		const { eventId, buyers } = await kit.seed();
		const rival = await kit.device(eventId, buyers[1]);
		await rival.claim("1-15-03");
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		await claimOnPage(page, "1-15-02");
		await expect.poll(() => shownInView(page, /已为您锁定\s*1号楼 1502/)).toBe(true);
		await expect.poll(() => page.locator("#holds").textContent()).toContain("1号楼 1502");
		expect(await page.locator("body").textContent()).not.toContain("1-15-02");
		const mine = unitCell(page, "1-15-02");
		await expect.poll(() => mine.getAttribute("aria-label")).toMatch(/^1号楼 1502.*您已锁定/);
		expect(await mine.textContent()).toMatch(/我的/);
		const theirs = unitCell(page, "1-15-03");
		await expect.poll(() => theirs.getAttribute("aria-label")).toMatch(/^1号楼 1503.*已被抢/);
		expect(await theirs.textContent()).not.toMatch(/我的/);
		expect(await mine.getAttribute("class")).not.toBe(await theirs.getAttribute("class"));
		// Coming back later (a reload, another visit): my holds still by name, not by id.
		await page.reload();
		await page.locator("#grid button.unit").first().waitFor();
		await expect.poll(() => page.locator("#holds").textContent()).toContain("1号楼 1502");
		expect(await page.locator("body").textContent()).not.toContain("1-15-02");
		expect(problems).toEqual([]);
	});
});

describe("(8) wording and flow", () => {
	it("an expired hold says why: the time ran out unconfirmed and the unit was released", async () => {
		const { eventId, buyers } = await kit.seed({ holdSeconds: 30 });
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		await claimOnPage(page, "1-09-01");
		await expect.poll(() => shownInView(page, /已为您锁定/)).toBe(true);
		await expect
			.poll(() => page.locator("#holds li").first().getAttribute("data-status"), { timeout: 45_000, interval: 1_000 })
			.toBe("expired");
		const item = await page.locator("#holds li").first().textContent();
		expect(item).toMatch(/时间到了未确认/);
		expect(item).toMatch(/房源已释放/);
		expect(await shownAnywhere(page, /已为您锁定/)).toEqual([]);
		expect(problems).toEqual([]);
	}, 90_000);

	it("device A learns at once that it was logged out by a login on device B", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		await expect.poll(() => page.locator("#live-state").textContent()).toBe("实时更新中");
		await kit.device(eventId, buyers[0]);
		await expect.poll(() => page.locator("#login-panel").isVisible(), { timeout: 3_000 }).toBe(true);
		await expect.poll(() => shownInView(page, /另一台设备登录/)).toBe(true);
		expect(problems).toEqual([]);
	});

	it("with live updates off, device A learns it at its next poll", async () => {
		const { eventId, buyers } = await kit.seed();
		await kit.admin("PUT", `/api/admin/events/${eventId}/flags`, { buyerLiveOff: true });
		await sleep(2_500);
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		await expect.poll(() => page.locator("#live-state").textContent()).toMatch(/每 5 秒刷新/);
		await kit.device(eventId, buyers[0]);
		await expect.poll(() => page.locator("#login-panel").isVisible(), { timeout: 8_000 }).toBe(true);
		await expect.poll(() => shownInView(page, /另一台设备登录/)).toBe(true);
		expect(problems).toEqual([]);
	});

	it("the login warns that it signs the other device out, trims pasted spaces, says when id or code is wrong", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId);
		expect(await page.locator("#login-panel").textContent()).toMatch(/其他设备.*退出/);
		// Ids are case-sensitive (API.md): "B0001" is not b0001, and the page says what is wrong.
		await page.locator("#buyer-id").fill("B0001");
		await page.locator("#access-code").fill(buyers[0].accessCode);
		await page.locator("#login-form button[type=submit]").click();
		await expect.poll(() => shownInView(page, /认筹编号或认筹码不正确/)).toBe(true);
		// Pasted with spaces around: accepted.
		await page.locator("#buyer-id").fill(` ${buyers[0].id} `);
		await page.locator("#access-code").fill(` ${buyers[0].accessCode}\t`);
		await page.locator("#login-form button[type=submit]").click();
		await page.locator("#logout").waitFor({ timeout: 5_000 });
		expect(await shownAnywhere(page, /认筹编号或认筹码不正确/)).toEqual([]);
		expect(problems).toEqual([]);
	});

	it("an unknown event says 活动不存在 and offers no login", async () => {
		const page = await buyerPage("no-such-event");
		await expect.poll(() => page.locator("#banner").textContent(), { timeout: 5_000 }).toMatch(/活动不存在/);
		expect(await page.locator("#login-panel").isVisible()).toBe(false);
		expect(await shownAnywhere(page, /正在读取活动/)).toEqual([]);
		expect(problems).toEqual([]);
	});
});

describe("(9) the desktop layout", () => {
	it("我的锁定 is wholly visible, no empty band under the countdown, the claim panel stays in view", async () => {
		const { eventId, buyers } = await kit.seed({ floors: 30 });
		const page = await buyerPage(eventId, { viewport: DESKTOP });
		await logIn(page, buyers[0]);
		expect(await wholeInView(page, "#holds-panel")).toBe(true);
		const band = await page.evaluate(() => {
			const banner = document.querySelector("#banner")?.getBoundingClientRect();
			const below = [...document.querySelectorAll<HTMLElement>("main > *")]
				.filter((el) => el.id !== "banner" && el.checkVisibility())
				.map((el) => el.getBoundingClientRect().top)
				.filter((top) => banner && top >= banner.bottom);
			return banner ? Math.min(...below) - banner.bottom : -1;
		});
		expect(band).toBeLessThanOrEqual(13);
		// The lowest floor, far down the page.
		await unitCell(page, "1-01-01").click();
		expect(await wholeInView(page, "#select-panel")).toBe(true);
		await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
		await sleep(100);
		expect(await wholeInView(page, "#select-panel")).toBe(true);
		await page.evaluate(() => window.scrollTo(0, 0));
		await sleep(100);
		expect(await wholeInView(page, "#select-panel")).toBe(true);
		expect(problems).toEqual([]);
	});
});

describe("(11) keyboard and language", () => {
	it("the grid is one tab stop; arrows move and the tab stop follows", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId, { viewport: DESKTOP });
		await logIn(page, buyers[0]);
		const stops = () =>
			page.$$eval("button.unit", (cells) => cells.filter((c) => (c as HTMLElement).tabIndex >= 0).length);
		expect(await stops()).toBe(1);
		await page.locator("#grid button.unit[tabindex='0']").focus();
		await page.keyboard.press("ArrowDown");
		await page.keyboard.press("ArrowRight");
		const at = await page.evaluate(() => document.activeElement?.getAttribute("data-id"));
		expect(await stops()).toBe(1);
		expect(await page.locator(`button.unit[data-id="${at}"]`).getAttribute("tabindex")).toBe("0");
		await page.keyboard.press("Tab");
		expect(await page.evaluate(() => document.activeElement?.classList.contains("unit"))).toBe(false);
		await page.keyboard.press("Shift+Tab");
		expect(await page.evaluate(() => document.activeElement?.getAttribute("data-id"))).toBe(at);
		expect(problems).toEqual([]);
	});

	it("实时更新中 follows the language setting", async () => {
		const { eventId, buyers } = await kit.seed();
		const page = await buyerPage(eventId);
		await logIn(page, buyers[0]);
		await expect.poll(() => page.locator("#live-state").textContent()).toBe("实时更新中");
		await page.locator("#lang-toggle").click();
		expect(await page.locator("#live-state").textContent()).toBe("Live");
		await page.locator("#lang-toggle").click();
		expect(await page.locator("#live-state").textContent()).toBe("实时更新中");
		expect(problems).toEqual([]);
	});
});

describe("accessibility (axe-core)", () => {
	for (const [name, viewport] of WIDTHS) {
		it(`${name}: the login screen, the grid with a hold and the give-up dialog have no serious or critical violation`, async () => {
			const { eventId, buyers } = await kit.seed();
			const rival = await kit.device(eventId, buyers[1]);
			await rival.claim("1-20-04");
			const page = await buyerPage(eventId, { viewport });
			await page.locator("#login-form").waitFor();
			expect(await seriousViolations(page)).toEqual([]);
			await logIn(page, buyers[0]);
			await claimOnPage(page, "1-19-02");
			await expect.poll(() => shownInView(page, /已为您锁定/)).toBe(true);
			expect(await seriousViolations(page)).toEqual([]);
			await page.locator("#holds").getByRole("button", { name: /放弃/ }).click();
			expect(await seriousViolations(page)).toEqual([]);
			expect(problems).toEqual([]);
		});
	}
});
