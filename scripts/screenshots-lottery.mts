// The lottery pages' screenshots (issue 12), taken from a real lottery opening: an operator commits a
// seed made in the console's browser and reveals it from the downloaded file, sixty buyers fill their
// wish lists through the API, the event opens, and a buyer of batch 2 waits on a phone. Called by
// scripts/screenshots.mts (npm run screenshots); `npx tsx scripts/screenshots-lottery.mts` takes only
// these, on a dev server of its own.
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { KaipanClient } from "../client/kaipan-client";
import { launchChromium } from "../e2e/browser";
import { buildWeb, startDevServer } from "../e2e/dev-server.mjs";
import { adminRequest, demoBuyers, demoListings } from "./demo-data.mjs";

const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const EVENT = "lottery-demo";
const BUYERS = 60;
/** Where the wishes go: a few units most buyers want, and a spread of others. */
const POPULAR = ["1-18-01", "1-18-04", "2-20-01", "1-16-04", "2-17-01", "1-20-04", "2-19-04"];

export async function lotteryScreenshots(browser: Browser, baseUrl: string, adminToken: string, out: string) {
	const admin = (method: string, path: string, body?: unknown) => adminRequest(baseUrl, adminToken, method, path, body);
	const staff = (name: string, role: string) =>
		admin("POST", "/api/admin/staff", { name, role }) as Promise<{ token: string }>;
	const operator = await staff("李运营", "operator");
	const sales = await staff("王销售", "sales");

	const startsAt = Date.now() + 2 * 3_600_000;
	await admin("PUT", `/api/admin/events/${EVENT}`, {
		name: "滨江壹号 · 二期摇号选房",
		startsAt: new Date(startsAt).toISOString(),
		endsAt: new Date(startsAt + 3 * 3_600_000).toISOString(),
		holdSeconds: 900,
		mode: "lottery",
		batchSize: 10,
		batchSeconds: 300,
		autoClaimDelaySeconds: 30,
	});
	await admin("PUT", `/api/admin/events/${EVENT}/listings`, { listings: demoListings() });
	const buyers = demoBuyers(BUYERS).map((b, i) => ({ ...b, accessCode: `8642${String(i).padStart(4, "0")}` }));
	await admin("PUT", `/api/admin/events/${EVENT}/buyers`, { buyers });

	// The operator commits a seed made in the browser, keeps the file, and reveals from it.
	const console_ = await staffPage(browser, baseUrl, operator.token, `/console?event=${EVENT}`, DESKTOP);
	const panel = console_.locator("#draw-panel");
	await panel.locator("#draw-status").filter({ hasText: "未承诺" }).waitFor();
	const download = console_.waitForEvent("download");
	await panel.getByRole("button", { name: "在浏览器中生成种子" }).click();
	const seedPath = await (await download).path();
	await console_.locator("#seed-note").waitFor();
	await panel.scrollIntoViewIfNeeded();
	await panel.screenshot({ path: `${out}/console-draw-commit-desktop.png` });
	await panel.getByRole("button", { name: "提交承诺" }).click();
	await console_.getByRole("dialog").waitFor();
	await shoot(console_, `${out}/console-draw-confirm-desktop.png`, "viewport");
	await console_.getByRole("dialog").getByRole("button", { name: "提交承诺" }).click();
	await panel.locator("#draw-status").filter({ hasText: "已承诺" }).waitFor();

	// Buyers fill their wish lists before the draw is revealed (the heat map the staff see).
	await Promise.all(
		buyers.map(async (b, i) => {
			const client = new KaipanClient({ baseUrl, headers: { "cf-connecting-ip": `2001:db8:77::${i + 1}` } });
			const session = await client.login(EVENT, b.id, b.accessCode);
			const listingIds = [
				POPULAR[i % POPULAR.length],
				POPULAR[(i * 3 + 1) % POPULAR.length],
				`${1 + (i % 2)}-${String(5 + ((i * 7) % 15)).padStart(2, "0")}-0${1 + (i % 4)}`,
			].filter((id, k, all): id is string => id !== undefined && all.indexOf(id) === k);
			const res = await fetch(`${baseUrl}/api/me/wishlist`, {
				method: "PUT",
				headers: { authorization: `Bearer ${session.sessionToken}`, "content-type": "application/json" },
				body: JSON.stringify({ listingIds, autoClaim: i % 3 === 0 }),
			});
			if (!res.ok) throw new Error(`wish list of ${b.id}: ${res.status} ${await res.text()}`);
		}),
	);

	await console_.locator("#reveal-file").setInputFiles(seedPath);
	await console_.locator("#reveal-beacon").fill("drand quicknet #68959012 · 5e1b0c3a9f2d4e6b8a7c1d0e3f2a4b6c");
	await panel.getByRole("button", { name: "揭晓", exact: true }).click();
	await console_.getByRole("dialog").getByRole("button", { name: "揭晓", exact: true }).click();
	await panel.locator("#draw-status").filter({ hasText: "已揭晓" }).waitFor();
	await panel.scrollIntoViewIfNeeded();
	await panel.screenshot({ path: `${out}/console-draw-desktop.png` });
	const { draw } = await (await fetch(`${baseUrl}/api/events/${EVENT}/draw`)).json();
	const order = draw.order as string[];

	// The dashboard before the opening: the first batch's time and the wish heat map.
	const dashboard = await staffPage(browser, baseUrl, sales.token, `/dashboard?event=${EVENT}`, DESKTOP);
	await dashboard.locator("#heat-table").waitFor();
	await dashboard.locator("#batch-now .batch-next").waitFor();

	// A buyer of batch 2 before the opening on a phone: the wish list, starred and ordered.
	const secondBatch = buyers.find((b) => b.id === order[12]);
	if (!secondBatch) throw new Error("no buyer at place 13");
	const phone = await buyerPage(browser, baseUrl, secondBatch, PHONE);
	await phone.locator("#wish-list li[data-id]").first().waitFor();
	await phone.locator(`button.unit[data-id="1-20-02"]`).click();
	await phone.locator("#wish-toggle:not([hidden])").waitFor();
	await phone.evaluate(() => document.querySelector("#wish-panel")?.scrollIntoView({ block: "start" }));
	await shoot(phone, `${out}/buyer-lottery-wishlist-mobile.png`, "viewport");

	// The operator opens: batch 1 enters, batch 2 waits five minutes.
	await admin("POST", `/api/admin/events/${EVENT}/status`, { status: "open" });
	await phone
		.locator("#claim")
		.filter({ hasText: /^第 2 批/ })
		.waitFor({ timeout: 20_000 });
	await phone.locator("#turn-countdown").waitFor();
	await phone.evaluate(() => window.scrollTo(0, 0));
	await shoot(phone, `${out}/buyer-lottery-waiting-mobile.png`, "viewport");

	const desktop = await buyerPage(browser, baseUrl, secondBatch, DESKTOP);
	await desktop.locator(`button.unit[data-id="1-19-03"]`).click();
	await desktop
		.locator("#claim")
		.filter({ hasText: /^第 2 批/ })
		.waitFor({ timeout: 20_000 });
	await desktop.locator("#lottery-draw summary").click();
	await desktop.evaluate(() => window.scrollTo(0, 0));
	await shoot(desktop, `${out}/buyer-lottery-desktop.png`, "viewport");

	await dashboard.locator("#batch-now .batch-now").filter({ hasText: "正在入场" }).waitFor({ timeout: 20_000 });
	await shoot(dashboard, `${out}/dashboard-lottery-desktop.png`, "full");
	const dashboardPhone = await staffPage(browser, baseUrl, sales.token, `/dashboard?event=${EVENT}`, PHONE);
	await dashboardPhone.locator("#batch-now .batch-now").filter({ hasText: "正在入场" }).waitFor({ timeout: 20_000 });
	await dashboardPhone.locator("#heat-table").waitFor();
	await dashboardPhone.locator("#lottery-dash").screenshot({ path: `${out}/dashboard-lottery-mobile.png` });
	for (const page of [console_, dashboard, phone, desktop, dashboardPhone]) await page.context().close();
}

async function staffPage(
	b: Browser,
	baseUrl: string,
	token: string,
	path: string,
	viewport: { width: number; height: number },
): Promise<Page> {
	const context = await b.newContext({ viewport, locale: "zh-CN", acceptDownloads: true });
	await context.addInitScript((t) => sessionStorage.setItem("kp_admin_token", t), token);
	const page = await context.newPage();
	await page.goto(`${baseUrl}${path}`);
	return page;
}

async function buyerPage(
	b: Browser,
	baseUrl: string,
	buyer: { id: string; accessCode: string },
	viewport: { width: number; height: number },
): Promise<Page> {
	const context = await b.newContext({ viewport, locale: "zh-CN" });
	const page = await context.newPage();
	await page.goto(`${baseUrl}/?event=${EVENT}`);
	await page.locator("#buyer-id").fill(buyer.id);
	await page.locator("#access-code").fill(buyer.accessCode);
	await page.locator("#login-form button[type=submit]").click();
	await page.locator("#live-state").filter({ hasText: "实时更新中" }).waitFor();
	return page;
}

async function shoot(page: Page, path: string, mode: "full" | "viewport"): Promise<void> {
	await page.screenshot({ path, fullPage: mode === "full" });
}

// Run on its own: only these screenshots, on a fresh dev server.
if (import.meta.url === `file://${process.argv[1]}`) {
	const OUT = "docs/screenshots";
	buildWeb();
	const server = await startDevServer();
	let browser: Browser | null = null;
	try {
		if (!server.adminToken) throw new Error(".dev.vars.example has no ADMIN_TOKEN");
		mkdirSync(OUT, { recursive: true });
		browser = await launchChromium();
		await lotteryScreenshots(browser, server.baseUrl, server.adminToken, OUT);
		console.log(`lottery screenshots written to ${OUT}/`);
	} finally {
		await browser?.close();
		await server.stop();
	}
}
