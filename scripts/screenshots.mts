// `npm run screenshots`: the three pages at desktop and phone width, in docs/screenshots/, taken from
// a real opening: a fresh dev server (its own throw-away state), the demo catalogue, buyers claiming
// through the client module, staff confirming some holds, and a phone buyer winning one unit and losing
// another to a rival who pressed at the same moment. Nothing here is drawn by hand. The staff pages are
// signed in with staff accounts made here (an operator on the console, sales on the dashboard), so the
// headers, the staff list and the ledger head are the real ones.
import { mkdirSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { KaipanApiError, KaipanClient } from "../client/kaipan-client";
import { holdClaims, launchChromium } from "../e2e/browser";
import { buildWeb, startDevServer } from "../e2e/dev-server.mjs";
import { adminRequest, seedDemo } from "./demo-data.mjs";
import { lotteryScreenshots } from "./screenshots-lottery.mts";

const OUT = "docs/screenshots";
const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

buildWeb();
const server = await startDevServer();
let browser: Browser | null = null;
try {
	const { baseUrl, adminToken } = server;
	if (!adminToken) throw new Error(".dev.vars.example has no ADMIN_TOKEN");
	const admin = (method: string, path: string, body?: unknown) => adminRequest(baseUrl, adminToken, method, path, body);
	// 80 buyers rush; three more stay out of it for the buyer's claim won and lost on a phone.
	const demo = await seedDemo({ baseUrl, token: adminToken, opensInSeconds: 8, buyers: 83 });
	const [winner, loser, rival] = demo.buyers.slice(80) as { id: string; accessCode: string | null }[];
	if (!winner || !loser || !rival) throw new Error("the demo has too few buyers");
	browser = await launchChromium();
	mkdirSync(OUT, { recursive: true });

	// Staff accounts, made by the operator as the console makes them; each page signs in with its own.
	const account = (name: string, role: string) =>
		admin("POST", "/api/admin/staff", { name, role }) as Promise<{ staffId: string; token: string }>;
	const operator = await account("李运营", "operator");
	const sales = await account("王销售", "sales");
	await account("赵查看", "viewer");
	const former = await account("前同事", "sales");
	await admin("DELETE", `/api/admin/staff/${former.staffId}`);

	// Staff watch from before the opening, so the charts have the whole rush.
	const dashboard = await staffPage(browser, baseUrl, sales.token, "/dashboard?event=demo", DESKTOP);
	await dashboard.locator("#live-state").filter({ hasText: "实时更新中" }).waitFor();
	await sleep(Math.max(0, demo.startsAt.getTime() - Date.now()) + 300);

	// The rush: every buyer goes for one of a few popular units, then for another; most are refused.
	const popular = ["1-18-01", "1-18-04", "2-20-01", "2-20-04", "1-12-02", "2-15-03", "1-08-01", "2-06-04"];
	const clients = await Promise.all(
		demo.buyers.slice(0, 80).map(async (b: { id: string; accessCode: string | null }, i: number) => {
			const client = new KaipanClient({ baseUrl, headers: { "cf-connecting-ip": `2001:db8::${i + 1}` } });
			// Fresh state: every buyer is new, so every code was just generated (never null).
			await client.login("demo", b.id, b.accessCode ?? "");
			return client;
		}),
	);
	const holds: string[] = [];
	for (let round = 0; round < 6; round++) {
		await Promise.all(
			clients.map(async (client, i) => {
				const listing =
					round < 3
						? popular[(i + round) % popular.length]
						: `${1 + (i % 2)}-${String(1 + ((i * 7 + round) % 20)).padStart(2, "0")}-0${1 + (i % 4)}`;
				try {
					const hold = await client.claim(listing ?? "1-01-01");
					if (hold.created) holds.push(hold.holdId);
				} catch (err) {
					if (!(err instanceof KaipanApiError)) throw err;
				}
			}),
		);
		await sleep(1_200);
	}
	// Deposits come in for some of them (orders reach D1 about a second after the grant).
	await sleep(1_500);
	for (const holdId of holds.slice(0, Math.ceil(holds.length / 2))) {
		await adminRequest(baseUrl, sales.token, "POST", `/api/admin/holds/${holdId}/confirm`);
	}
	await sleep(2_500);

	await dashboard.locator('button.unit[data-status="held"]').first().click();
	await dashboard.locator("#hold-panel").getByRole("button", { name: "确认认购" }).waitFor();
	await shoot(dashboard, "dashboard-desktop");
	// On a phone the hold opens as a sheet over the grid; confirming asks first.
	const dashboardPhone = await staffPage(browser, baseUrl, sales.token, "/dashboard?event=demo", PHONE);
	await dashboardPhone.locator("#live-state").filter({ hasText: "实时更新中" }).waitFor();
	await dashboardPhone.locator('button.unit[data-status="held"]').nth(3).click();
	await dashboardPhone.locator("#hold-panel").getByRole("button", { name: "确认认购" }).waitFor();
	await shoot(dashboardPhone, "dashboard-mobile", "viewport");
	await dashboardPhone.locator("#hold-panel").getByRole("button", { name: "确认认购" }).click();
	await dashboardPhone.getByRole("dialog").waitFor();
	await shoot(dashboardPhone, "dashboard-confirm-mobile", "viewport");
	await dashboardPhone.getByRole("dialog").getByRole("button", { name: "取消" }).click();

	// A buyer who got a unit and is looking at another.
	const holder = demo.buyers[0] as { id: string; accessCode: string | null };
	for (const [name, viewport, lang] of [
		["buyer-mobile", PHONE, "zh"],
		["buyer-desktop", DESKTOP, "zh"],
		["buyer-mobile-en", PHONE, "en"],
	] as const) {
		const context = await browser.newContext({ viewport, locale: "zh-CN" });
		if (lang === "en") await context.addInitScript(() => localStorage.setItem("kp_lang", "en"));
		const page = await context.newPage();
		await page.goto(`${baseUrl}/?event=demo`);
		await page.locator("#buyer-id").fill(holder.id);
		await page.locator("#access-code").fill(holder.accessCode ?? "");
		await page.locator("#login-form button[type=submit]").click();
		await page
			.locator("#live-state")
			.filter({ hasText: lang === "en" ? "Live" : "实时更新中" })
			.waitFor();
		await page.locator('button.unit[data-status="available"]').nth(5).click();
		// A full-page shot of a scrolled page would draw the sticky claim panel where the scroll left it.
		if (viewport !== PHONE) await page.evaluate(() => window.scrollTo(0, 0));
		await shoot(page, name, viewport === PHONE ? "viewport" : "full");
		await context.close();
	}

	// A claim won and a claim lost, on a phone, scrolled down to the unit as a buyer would be.
	const won = await buyerPage(browser, baseUrl, winner, PHONE);
	const wonUnit = won.locator('button.unit[data-status="available"]').nth(60);
	await wonUnit.click();
	await won.locator("#claim").click();
	await won.locator("#claim-result[data-kind=won]").waitFor();
	await won.locator('#claim[data-state="mine"]').filter({ hasText: "已为您锁定" }).waitFor();
	await shoot(won, "buyer-claim-won-mobile", "viewport");
	// Issue 13: staff confirm the deposit; the buyer sees 认购成功 and the 认购确认书, on the screen and
	// as it prints (print media: the certificate and nothing else).
	const wonHold = await won.locator('#holds li[data-status="held"]').getAttribute("data-hold");
	await adminRequest(baseUrl, sales.token, "POST", `/api/admin/holds/${wonHold}/confirm`);
	await won.locator("#certificate article.certificate").waitFor();
	await won.locator("#holds-panel").evaluate((el) => el.scrollIntoView({ block: "start" }));
	await shoot(won, "buyer-certificate-mobile", "viewport");
	// As it prints: on an A4-sized page (at 96 dpi), the certificate alone.
	await won.emulateMedia({ media: "print" });
	await won.setViewportSize({ width: 794, height: 1123 });
	await shoot(won, "buyer-certificate-print", "viewport");
	await won.context().close();

	// Issue 13: browsing before login on a phone: the filters opened and set, then a unit's details
	// with its floor plan.
	const browseContext = await browser.newContext({ viewport: PHONE, locale: "zh-CN" });
	const browse = await browseContext.newPage();
	await browse.goto(`${baseUrl}/?event=demo`);
	await browse.locator("#grid button.unit").first().waitFor();
	await browse.locator("details.filters > summary").click();
	await browse.locator("#filter-building").selectOption("2号楼");
	await browse.locator("#filter-layout").selectOption("3室2厅2卫");
	await browse.locator("#filter-floor-min").fill("10");
	await browse.locator("#filter-price-max").fill("620");
	await browse.locator("#filter-count").filter({ hasText: "符合条件" }).waitFor();
	await browse.locator("#grid-panel").evaluate((el) => el.scrollIntoView({ block: "start" }));
	await shoot(browse, "buyer-filters-mobile", "viewport");
	await browse.locator("details.filters > summary").click();
	await browse.locator('#grid button.unit[data-status="available"]').first().click();
	await browse.locator("#selected details.floor-plan > summary").click();
	await browse.waitForFunction(() => {
		const img = document.querySelector<HTMLImageElement>("#selected details.floor-plan img");
		return (img?.complete ?? false) && (img?.naturalWidth ?? 0) > 0;
	});
	await shoot(browse, "buyer-unit-details-mobile", "viewport");
	await browseContext.close();

	const lost = await buyerPage(browser, baseUrl, loser, PHONE);
	const lostUnit = lost.locator('button.unit[data-status="available"]').nth(64);
	const lostId = (await lostUnit.getAttribute("data-id")) ?? "";
	await lostUnit.click();
	// Both press at once; the rival's request is answered first.
	const rivalClient = new KaipanClient({ baseUrl, headers: { "cf-connecting-ip": "2001:db8::ffff" } });
	await rivalClient.login("demo", rival.id, rival.accessCode ?? "");
	const rivalDone = await holdClaims(lost);
	await lost.locator("#claim").click();
	await rivalClient.claim(lostId);
	rivalDone();
	await lost.locator("#claim-result[data-kind=lost]").waitFor();
	await shoot(lost, "buyer-claim-lost-mobile", "viewport");
	await lost.context().close();

	const console_ = await staffPage(browser, baseUrl, operator.token, "/console?event=demo", DESKTOP);
	await console_.locator("#outbox table").waitFor();
	await console_.locator("#staff-table").waitFor();
	await console_.locator("#ledger-hash .hash-group").first().waitFor();
	const bad =
		"id,building,floor,unit,layout,areaM2,priceCents\n3-01-01,3号楼,1,01,3室2厅,98.5,300000000\n3-01-02,3号楼,一,02,3室2厅,98.5,300000000\n";
	await console_
		.locator("#file-listings")
		.setInputFiles({ name: "units.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
	await console_.locator("#import-listings button[type=submit]").click();
	await console_.locator("#import-listings ol.problems").waitFor();
	await shoot(console_, "console-desktop");
	// A new account's token, shown this once.
	await console_.getByLabel("姓名").fill("陈销售");
	await console_.locator("#staff-form").getByRole("button", { name: "创建账号" }).click();
	await console_.getByRole("dialog").waitFor();
	await shoot(console_, "console-staff-token", "viewport");
	await console_.getByRole("dialog").getByRole("button", { name: "我已保存" }).click();

	const consolePhone = await staffPage(browser, baseUrl, operator.token, "/console?event=demo", PHONE);
	await consolePhone.locator("#event-summary").filter({ hasText: "房源" }).waitFor();
	await consolePhone.locator("#event-list table").waitFor();
	await shoot(consolePhone, "console-mobile", "viewport");
	await consolePhone.locator("#ledger-hash .hash-group").first().waitFor();
	await consolePhone.locator("#ledger-panel").screenshot({ path: `${OUT}/console-ledger-mobile.png` });
	// Sales staff on the console: what needs an operator is not there.
	const consoleSales = await staffPage(browser, baseUrl, sales.token, "/console?event=demo", PHONE);
	await consoleSales.locator("#event-summary").filter({ hasText: "房源" }).waitFor();
	await shoot(consoleSales, "console-sales-mobile", "viewport");
	// Issue 13: the sales control sheet on a phone, the console's list of events, and an announcement
	// as the operator posts it and a buyer's phone shows it.
	await dashboardPhone.locator("#close-sheet").click();
	await dashboardPhone.locator("#sales-sheet table.sales-holds").waitFor();
	await dashboardPhone.locator("#sales-sheet").screenshot({ path: `${OUT}/dashboard-sales-sheet-mobile.png` });
	await consolePhone.locator("#event-list table").waitFor();
	await consolePhone.locator("#events-panel").screenshot({ path: `${OUT}/console-events-mobile.png` });
	await consolePhone
		.getByLabel("公告内容")
		.fill("系统维护，开盘暂停约 10 分钟。\n预计 10:30 恢复，已锁定的房源保留时间顺延。");
	await consolePhone.getByRole("button", { name: "发布公告" }).click();
	await consolePhone.locator("#announcement-current").filter({ hasText: "系统维护" }).waitFor();
	await consolePhone.locator("#announcement-panel").screenshot({ path: `${OUT}/console-announcement-mobile.png` });
	const told = await buyerPage(browser, baseUrl, holder, PHONE);
	await told.locator("#announcement").filter({ hasText: "系统维护" }).waitFor();
	await shoot(told, "buyer-announcement-mobile", "viewport");
	await told.context().close();
	await admin("DELETE", "/api/admin/events/demo/announcement");
	// A lottery opening (issue 12): its own event, staff accounts and buyers (scripts/screenshots-lottery.mts).
	await lotteryScreenshots(browser, baseUrl, adminToken, OUT);
	console.log(
		`screenshots written to ${OUT}/ (${holds.length} holds granted, ${Math.ceil(holds.length / 2)} confirmed)`,
	);
} finally {
	await browser?.close();
	await server.stop();
}

async function staffPage(
	b: Browser,
	baseUrl: string,
	token: string,
	path: string,
	viewport: { width: number; height: number },
): Promise<Page> {
	const context: BrowserContext = await b.newContext({ viewport, locale: "zh-CN" });
	await context.addInitScript((t) => sessionStorage.setItem("kp_admin_token", t), token);
	const page = await context.newPage();
	await page.goto(`${baseUrl}${path}`);
	return page;
}

async function buyerPage(
	b: Browser,
	baseUrl: string,
	buyer: { id: string; accessCode: string | null },
	viewport: { width: number; height: number },
): Promise<Page> {
	const context = await b.newContext({ viewport, locale: "zh-CN" });
	const page = await context.newPage();
	await page.goto(`${baseUrl}/?event=demo`);
	await page.locator("#buyer-id").fill(buyer.id);
	await page.locator("#access-code").fill(buyer.accessCode ?? "");
	await page.locator("#login-form button[type=submit]").click();
	await page.locator("#live-state").filter({ hasText: "实时更新中" }).waitFor();
	return page;
}

async function shoot(page: Page, name: string, mode: "full" | "viewport" = "full"): Promise<void> {
	await page.screenshot({ path: `${OUT}/${name}.png`, fullPage: mode === "full" });
}
