// The three pages in a real browser against the real dev server: a buyer waits for the opening and
// claims a unit, a sales dashboard sees it held within a second, the operator confirms it and both
// pages show it sold; the console refuses a bad CSV file line by line and imports nothing.
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { adminRequest } from "../scripts/demo-data.mjs";
import { DESKTOP, useBrowserPages } from "./pages";
import { seedSmallEvent } from "./small-event";

const baseUrl = inject("baseUrl");
const token = inject("adminToken");
const admin = (method: string, path: string, body?: unknown) => adminRequest(baseUrl, token, method, path, body);

const browserPages = useBrowserPages(baseUrl);
const { problems } = browserPages;

/** A page in its own context (one person); CSP violations and script errors fail the test. */
function openPage(path: string, viewport = DESKTOP, adminToken?: string): Promise<Page> {
	return browserPages.open(path, { viewport, staffToken: adminToken ?? null, ignore: /status of 4/ });
}

/** 2 buildings × 3 floors × 2 units and buyer b1, opening in `opensInMs`. */
function seed(opensInMs: number) {
	return seedSmallEvent(admin, {
		prefix: "e2e",
		name: "滨江壹号 · 端到端测试",
		opensInMs,
		holdSeconds: 300,
		buyers: [{ id: "b1", accessCode: "24681012", phone: "+8613800000001" }],
	});
}

describe("an opening, seen by a buyer, the sales staff and the operator", () => {
	it("buyer claims at the opening; the dashboard shows it held within 1 s; confirm turns both sold", async () => {
		const { eventId, opensAt } = await seed(12_000);
		const dashboard = await openPage(`/dashboard?event=${eventId}`, undefined, token);
		await expect.poll(() => dashboard.locator("#live-state").textContent(), { timeout: 15_000 }).toBe("实时更新中");

		const buyer = await openPage(`/?event=${eventId}`, { width: 390, height: 844 });
		await buyer.getByLabel("认筹编号").fill("b1");
		await buyer.getByLabel("认筹码").fill("24681012");
		await buyer.getByRole("button", { name: "登录", exact: true }).click();
		await buyer.locator("#logout").waitFor();
		await expect.poll(() => buyer.locator("#banner").textContent()).toMatch(/^距开盘还有 00:00:\d\d$/);
		await buyer.locator('button.unit[data-id="1-2-1"]').click();
		const claimButton = buyer.locator("#claim");
		expect(await claimButton.isDisabled()).toBe(true);
		expect(await claimButton.textContent()).toBe("开盘后可锁定");

		// The button comes alive on the server's clock; the dashboard stamps the moment its cell turns.
		await dashboard.evaluate(() => {
			const cell = document.querySelector<HTMLElement>('button.unit[data-id="1-2-1"]');
			new MutationObserver(() => {
				if (cell?.dataset.status === "held") document.body.dataset.heldAt ??= String(Date.now());
			}).observe(cell as Node, { attributes: true });
		});
		await expect.poll(() => claimButton.isEnabled(), { timeout: 20_000, interval: 50 }).toBe(true);
		expect(Date.now()).toBeGreaterThanOrEqual(opensAt - 1_000);
		const clickedAt = Date.now();
		await claimButton.click();
		await expect.poll(() => buyer.locator("#claim-result").textContent()).toContain("已为您锁定 1号楼 201");
		await expect.poll(() => dashboard.evaluate(() => document.body.dataset.heldAt ?? null)).not.toBeNull();
		const latency = Number(await dashboard.evaluate(() => document.body.dataset.heldAt)) - clickedAt;
		console.log(`claim click → dashboard cell held: ${latency} ms`);
		expect(latency).toBeLessThan(1_000);
		expect(await buyer.locator('button.unit[data-id="1-2-1"]').getAttribute("data-status")).toBe("held");
		await expect.poll(() => dashboard.locator("#c-held").textContent()).toBe("1");

		// The operator confirms the deposit from the dashboard's grid.
		const confirm = dashboard.getByRole("button", { name: "确认认购" });
		await expect
			.poll(
				async () => {
					await dashboard.locator('button.unit[data-id="1-2-1"]').click();
					return confirm.isVisible();
				},
				{ timeout: 10_000, interval: 500 },
			)
			.toBe(true);
		await confirm.click();
		// Nothing on one tap: the dashboard asks first, naming the unit and the buyer.
		await dashboard.getByRole("dialog").getByRole("button", { name: "确认认购" }).click();
		for (const page of [dashboard, buyer]) {
			await expect
				.poll(() => page.locator('button.unit[data-id="1-2-1"]').getAttribute("data-status"), { timeout: 2_000 })
				.toBe("sold");
		}
		await expect.poll(() => buyer.locator("#holds").textContent()).toContain("已认购");
		await expect.poll(() => dashboard.locator("#c-sold").textContent()).toBe("1");
		expect(problems).toEqual([]);
	});
});

describe("the operator console", () => {
	it("rejects a bad CSV file with every bad line, and imports nothing", async () => {
		const { eventId } = await seed(3_600_000);
		const before = await admin("GET", `/api/admin/events/${eventId}`);
		const page = await openPage(`/console?event=${eventId}`, undefined, token);
		// The console signs in (whoami) before it reads the event: two round trips on a busy machine.
		await expect.poll(() => page.locator("#event-summary").textContent(), { timeout: 10_000 }).toContain("房源 12 套");
		const bad = [
			"id,building,floor,unit,layout,areaM2,priceCents",
			"9-1-1,9号楼,1,01,3室2厅,98.5,300000000",
			"9-1-2,9号楼,one,02,3室2厅,98.5,300000000",
			"9-1-3,9号楼,1,03,3室2厅,98.5,300000000",
			"bad id!,9号楼,1,04,3室2厅,-5,300000000",
		].join("\n");
		await page
			.getByLabel("房源 CSV")
			.setInputFiles({ name: "units.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
		await page.locator("#import-listings button[type=submit]").click();
		const result = page.locator("#import-listings .result");
		await expect.poll(() => result.textContent()).toContain("文件有 3 处错误");
		const lines = await result.locator("li").allTextContents();
		expect(lines.map((l) => l.match(/^第 (\d+) 行/)?.[1])).toEqual(["3", "5", "5"]);
		expect((await admin("GET", `/api/admin/events/${eventId}`)).counts).toEqual(before.counts);

		// The same file, fixed, goes in whole.
		const good = bad.replace(",one,", ",1,").replace("bad id!", "9-1-4").replace(",-5,", ",88,");
		await page
			.getByLabel("房源 CSV")
			.setInputFiles({ name: "units.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
		await page.locator("#import-listings button[type=submit]").click();
		await expect.poll(() => result.textContent()).toContain("已导入 4 行");
		expect((await admin("GET", `/api/admin/events/${eventId}`)).counts.listings).toBe(16);
		expect(problems).toEqual([]);
	});
});

describe("accessibility and page security", () => {
	for (const path of ["/", "/dashboard", "/console"]) {
		it(`${path}: every control has a label, focus is visible, the CSP is set`, async () => {
			const res = await fetch(`${baseUrl}${path}`);
			expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
			const page = await openPage(path, undefined, token);
			const unlabeled = await page.evaluate(() =>
				[...document.querySelectorAll<HTMLElement>("input, select, textarea, button")]
					.filter((el) => el.offsetParent !== null)
					.filter((el) => {
						// input, select and textarea all have .labels (a <label for> or a wrapping label).
						const labels = "labels" in el ? (el as HTMLInputElement).labels : null;
						const labelled = (labels?.length ?? 0) > 0;
						return !labelled && !el.getAttribute("aria-label") && !el.textContent?.trim();
					})
					.map((el) => el.outerHTML),
			);
			expect(unlabeled).toEqual([]);
			await page.keyboard.press("Tab");
			await page.keyboard.press("Tab");
			const outline = await page.evaluate(() => {
				const el = document.activeElement;
				return el && el !== document.body ? getComputedStyle(el).outlineStyle : "nothing focused";
			});
			expect(outline).not.toBe("none");
			expect(outline).not.toBe("nothing focused");
			expect(problems).toEqual([]);
		});
	}

	it("the unit grid works from the keyboard: arrows move, Enter selects", async () => {
		const { eventId } = await seed(3_600_000);
		const page = await openPage(`/?event=${eventId}`);
		await page.getByLabel("认筹编号").fill("b1");
		await page.getByLabel("认筹码").fill("24681012");
		await page.getByLabel("认筹码").press("Enter");
		await page.locator("#logout").waitFor();
		const first = page.locator('button.unit[data-id="1-3-1"]');
		await first.focus();
		await page.keyboard.press("ArrowRight");
		expect(await page.evaluate(() => document.activeElement?.getAttribute("data-id"))).toBe("1-3-2");
		await page.keyboard.press("ArrowDown");
		expect(await page.evaluate(() => document.activeElement?.getAttribute("data-id"))).toBe("1-2-2");
		await page.keyboard.press("Enter");
		expect(await page.locator('button.unit[data-id="1-2-2"]').getAttribute("aria-pressed")).toBe("true");
		// Before the opening the claim button is disabled, so focus stays on the unit.
		expect(await page.evaluate(() => document.activeElement?.getAttribute("data-id"))).toBe("1-2-2");
		expect(await page.locator("#selected").textContent()).toContain("1号楼 202");
		// English on request, and the choice sticks.
		await page.getByRole("button", { name: "English" }).click();
		expect(await page.locator("#banner").textContent()).toMatch(/^Opens in /);
		expect(await page.locator("html").getAttribute("lang")).toBe("en");
		expect(problems).toEqual([]);
	});
});
