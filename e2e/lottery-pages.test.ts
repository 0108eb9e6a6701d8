// A lottery opening (摇号选房, issue 12) run from the pages, in a real Chromium against the real dev
// server, at phone (390×844) and desktop width: the operator commits from the console with a seed
// generated in the browser and downloaded, then reveals it from that file; a buyer of the second batch
// sees the commitment, then their place, batch and a countdown, and a claim button that says when it
// will work (never a refusal it could foresee); when the batch enters the button works and the buyer
// claims; the dashboard shows the batch entering. The wish list: starred, reordered, the auto-claim
// switch, all kept across a reload; after losing a unit, one tap claims the next wish. axe-core finds no
// serious or critical violation in these states.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { KaipanClient } from "../client/kaipan-client";
import { adminRequest, demoListings } from "../scripts/demo-data.mjs";
import { holdClaims } from "./browser";
import { logIn, openBuyer, shownInView } from "./buyer-kit";
import { DESKTOP, PHONE, poll, seriousViolations, useBrowserPages, WIDTHS } from "./pages";

const baseUrl = inject("baseUrl");
const token = inject("adminToken");
const admin = (method: string, path: string, body?: unknown) => adminRequest(baseUrl, token, method, path, body);
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** A page or three, a dev server and a 20-second batch, on a 2-core machine shared with other work. */
const SLOW_TEST = 180_000;

const browserPages = useBrowserPages(baseUrl);
const { problems } = browserPages;

interface Buyer {
	id: string;
	accessCode: string;
}

const BUYERS: Buyer[] = [
	{ id: "b1", accessCode: "24681012" },
	{ id: "b2", accessCode: "13579111" },
	{ id: "b3", accessCode: "11223344" },
];

let seq = 0;
/** A lottery event opening in an hour, 2 buildings × 4 floors × 4 units, three buyers. */
async function seedLottery(options: { batchSize?: number; batchSeconds?: number } = {}) {
	seq += 1;
	const eventId = `lp-${Date.now().toString(36)}-${seq}`;
	const startsAt = Date.now() + 3_600_000;
	await admin("PUT", `/api/admin/events/${eventId}`, {
		name: "滨江壹号 · 摇号选房",
		startsAt: new Date(startsAt).toISOString(),
		endsAt: new Date(startsAt + 3_600_000).toISOString(),
		holdSeconds: 300,
		mode: "lottery",
		batchSize: options.batchSize ?? 1,
		batchSeconds: options.batchSeconds ?? 20,
	});
	await admin("PUT", `/api/admin/events/${eventId}/listings`, { listings: demoListings({ floors: 4 }) });
	await admin("PUT", `/api/admin/events/${eventId}/buyers`, { buyers: BUYERS });
	return eventId;
}

/** Commit and reveal through the API (the console's own flow is tested once, below). */
async function drawByApi(eventId: string): Promise<string[]> {
	const seed = `e2e-seed-${eventId}`;
	await admin("POST", `/api/admin/events/${eventId}/draw/commit`, { seedHash: sha256(seed) });
	const { draw } = await admin("POST", `/api/admin/events/${eventId}/draw/reveal`, { seed });
	return draw.order as string[];
}

const buyerById = (id: string): Buyer => {
	const b = BUYERS.find((x) => x.id === id);
	if (!b) throw new Error(`no buyer ${id}`);
	return b;
};

function buyerPage(eventId: string, viewport: { width: number; height: number }): Promise<Page> {
	return openBuyer(browserPages, eventId, { viewport });
}

function staffPage(path: string, viewport: { width: number; height: number }): Promise<Page> {
	return browserPages.open(path, {
		viewport,
		staffToken: token,
		acceptDownloads: true,
		timeout: 10_000,
		ignore: /status of [45]/,
	});
}

async function publicDraw(eventId: string) {
	return (await (await fetch(`${baseUrl}/api/events/${eventId}/draw`)).json()).draw as {
		status: string;
		seedHash: string | null;
		seed: string | null;
		order: string[] | null;
	};
}

describe("a lottery opening from the console to a second-batch buyer's claim", () => {
	for (const [label, viewport] of WIDTHS) {
		it(
			`${label}: commit a seed made in the browser, reveal it from the downloaded file; batch 2 waits, then claims`,
			async () => {
				const eventId = await seedLottery({ batchSize: 1, batchSeconds: 20 });
				const consolePage = await staffPage(`/console?event=${eventId}`, viewport);
				const panel = consolePage.locator("#draw-panel");
				await poll(() => panel.locator("#draw-status").textContent()).toBe("摇号状态：未承诺");
				expect(await consolePage.locator("#ev-mode").inputValue()).toBe("lottery");

				// A buyer signed in before the draw sees the commitment's absence, then the commitment.
				const anyBuyer = await buyerPage(eventId, viewport);
				await logIn(anyBuyer, buyerById("b3"));
				await poll(() => anyBuyer.locator("#lottery-draw").textContent()).toContain("摇号尚未承诺");
				await poll(() => anyBuyer.locator("#lottery-turn").textContent()).toContain("摇号揭晓后");

				// Commit: a seed generated here, downloaded, its SHA-256 in the field; asked first.
				const download = consolePage.waitForEvent("download");
				await panel.getByRole("button", { name: "在浏览器中生成种子" }).click();
				const file = await download;
				expect(file.suggestedFilename()).toBe(`draw-seed-${eventId}.txt`);
				const seedPath = await file.path();
				const seed = readFileSync(seedPath, "utf8");
				expect(seed).toMatch(/^[0-9a-f]{64}$/);
				expect(await consolePage.locator("#seed-hash").inputValue()).toBe(sha256(seed));
				await poll(() => consolePage.locator("#seed-note").textContent()).toContain("请妥善保管");
				// The server has not seen the seed: nothing is committed yet.
				expect((await publicDraw(eventId)).status).toBe("none");
				await panel.getByRole("button", { name: "提交承诺" }).click();
				const dialog = consolePage.getByRole("dialog");
				await poll(() => dialog.textContent()).toContain("买家名单随即冻结");
				await dialog.getByRole("button", { name: "提交承诺" }).click();
				await poll(() => panel.locator("#draw-status").textContent()).toBe("摇号状态：已承诺，待揭晓");
				await poll(() => consolePage.locator("#draw-message").textContent()).toContain("3 名买家的名单已冻结");
				const committed = await publicDraw(eventId);
				expect(committed).toMatchObject({ status: "committed", seedHash: sha256(seed), seed: null });

				await poll(() => anyBuyer.locator("#lottery-draw .draw-status").textContent(), { timeout: 20_000 }).toContain(
					"摇号已承诺",
				);
				expect(await anyBuyer.locator("#lottery-draw").textContent()).toContain("3 名买家");
				await anyBuyer.locator("#lottery-draw summary").click();
				await poll(() =>
					anyBuyer
						.locator("#lottery-draw .draw-facts")
						.textContent()
						.then((t) => t?.replace(/\s/g, "")),
				).toContain(sha256(seed));

				// Reveal from the downloaded file (checked in the page first), asked first.
				await consolePage.locator("#reveal-file").setInputFiles(seedPath);
				await poll(() => consolePage.locator("#reveal-seed").inputValue()).toBe(seed);
				await consolePage.locator("#reveal-beacon").fill("drand quicknet round 1234: abcdef");
				await panel.getByRole("button", { name: "揭晓", exact: true }).click();
				await consolePage.getByRole("dialog").getByRole("button", { name: "揭晓", exact: true }).click();
				await poll(() => panel.locator("#draw-status").textContent()).toBe("摇号状态：已揭晓");
				const drawn = await publicDraw(eventId);
				expect(drawn).toMatchObject({ status: "drawn", seed, seedHash: sha256(seed) });
				expect(await panel.locator(".draw-facts").textContent()).toContain(seed);
				expect(await seriousViolations(consolePage)).toEqual([]);
				const order = drawn.order ?? [];
				expect(order).toHaveLength(3);

				// The second buyer in the order is batch 2: signed in before the opening, they see their place.
				const second = buyerById(order[1] ?? "");
				const page = await buyerPage(eventId, viewport);
				await logIn(page, second);
				const turn = page.locator("#lottery-turn");
				await poll(() => turn.textContent()).toContain("第 2 位");
				expect(await turn.textContent()).toContain("第 2 批");
				expect(await turn.textContent()).toContain("按公布的开盘时间推算");
				await poll(() => page.locator("#lottery-draw .draw-status").textContent()).toContain("摇号已揭晓");

				// The dashboard, before and after the opening.
				const dashboard = await staffPage(`/dashboard?event=${eventId}`, viewport);
				await poll(() => dashboard.locator("#batch-now").textContent()).toContain("第 1 批将于");

				// The operator opens: batch 1 enters now, batch 2 twenty seconds later.
				await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" });
				const claim = page.locator("#claim");
				await page.locator('button.unit[data-id="1-03-02"]').click();
				// The button says when it will work, not a refusal; the countdown runs.
				await poll(() => claim.textContent(), { timeout: 20_000 }).toMatch(/^第 2 批 · 00:00:\d\d 后可锁定$/);
				expect(await claim.isDisabled()).toBe(true);
				await poll(() => turn.textContent()).toMatch(/距您入场还有 00:00:\d\d/);
				expect(await seriousViolations(page)).toEqual([]);
				expect(await turn.textContent()).not.toContain("按公布的开盘时间推算");
				await poll(() => dashboard.locator("#batch-now .batch-now").textContent(), { timeout: 20_000 }).toBe(
					"第 1 / 3 批正在入场（第 1–1 位）",
				);
				expect(await dashboard.locator("#batch-now ol.batch-who").textContent()).toBe(order[0]);
				expect(await seriousViolations(dashboard)).toEqual([]);
				await poll(() => dashboard.locator("#batch-now .batch-next").textContent()).toMatch(
					/^下一批 00:00:\d\d 后入场$/,
				);

				// Batch 2 enters: the button works, the buyer claims.
				await poll(() => claim.isEnabled(), { timeout: 40_000, interval: 250 }).toBe(true);
				expect(await claim.textContent()).toBe("立即锁定");
				await poll(() => turn.textContent()).toContain("已轮到您的批次");
				await claim.click();
				await poll(() => shownInView(page, /已为您锁定\s*1号楼 302/)).toBe(true);
				await poll(() => dashboard.locator("#batch-now .batch-now").textContent(), { timeout: 20_000 }).toContain(
					"第 2 / 3 批正在入场",
				);
				expect(problems).toEqual([]);
			},
			SLOW_TEST,
		);
	}

	it(
		"a claim the server refuses as not your turn (a page whose clock runs ahead) says the entry time, not a failure",
		async () => {
			const eventId = await seedLottery({ batchSize: 1, batchSeconds: 600 });
			const order = await drawByApi(eventId);
			await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" });
			const last = buyerById(order[2] ?? "");
			const context = await browserPages.browser().newContext({ viewport: DESKTOP, locale: "zh-CN" });
			const page = browserPages.track(await context.newPage());
			// The event's serverTime twenty minutes ahead: the page believes batch 3 has entered.
			await page.route(`**/api/events/${eventId}`, async (route) => {
				const res = await route.fetch();
				const body = await res.json();
				body.serverTime = new Date(Date.parse(body.serverTime) + 1_260_000).toISOString();
				await route.fulfill({ response: res, json: body });
			});
			await page.goto(`${baseUrl}/?event=${eventId}`);
			await logIn(page, last);
			await page.locator('button.unit[data-id="2-02-01"]').click();
			const claim = page.locator("#claim");
			await poll(() => claim.isEnabled()).toBe(true);
			await claim.click();
			await poll(() => page.locator("#claim-outcome").textContent()).toMatch(
				/^还没轮到您的批次：您的入场时间是 .+\d\d:\d\d:\d\d。$/,
			);
		},
		SLOW_TEST,
	);
});

describe("the wish list: starred, reordered, auto-claim, kept; the heat map; axe", () => {
	for (const [label, viewport] of WIDTHS) {
		it(
			`${label}: stars three units, reorders them with buttons and the keyboard, turns auto-claim on; a reload shows the same`,
			async () => {
				const eventId = await seedLottery({ batchSize: 1, batchSeconds: 600 });
				const order = await drawByApi(eventId);
				const buyer = buyerById(order[2] ?? "");
				const page = await buyerPage(eventId, viewport);
				await logIn(page, buyer);
				const panel = page.locator("#wish-panel");
				await poll(() => panel.isVisible()).toBe(true);
				expect(await panel.textContent()).toContain("还没有心愿");
				const star = page.locator("#wish-toggle");
				for (const [id, name, n] of [
					["1-04-01", "1号楼 401", 1],
					["2-03-02", "2号楼 302", 2],
					["1-02-04", "1号楼 204", 3],
				] as const) {
					await page.locator(`button.unit[data-id="${id}"]`).click();
					await poll(() => star.getAttribute("aria-pressed")).toBe("false");
					expect(await star.textContent()).toBe("☆ 收藏");
					await page.getByRole("button", { name: "收藏", exact: true }).click();
					await poll(() => page.locator("#wish-message").textContent()).toBe(`已加入心愿单：${name}（共 ${n} 套）。`);
					expect(await star.textContent()).toBe("★ 收藏");
					expect(await star.getAttribute("aria-pressed")).toBe("true");
				}
				const names = () => panel.locator("#wish-list .wish-unit").allTextContents();
				expect(await names()).toEqual(["1. 1号楼 401 可选", "2. 2号楼 302 可选", "3. 1号楼 204 可选"]);
				// Up and down are buttons named with the unit; the focus stays on the unit moved.
				await panel.getByRole("button", { name: "下移 1号楼 401" }).click();
				await poll(names).toEqual(["1. 2号楼 302 可选", "2. 1号楼 401 可选", "3. 1号楼 204 可选"]);
				await poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(
					"下移 1号楼 401",
				);
				await panel.getByRole("button", { name: "上移 1号楼 204" }).focus();
				await page.keyboard.press("Enter");
				await poll(names).toEqual(["1. 2号楼 302 可选", "2. 1号楼 204 可选", "3. 1号楼 401 可选"]);
				await poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(
					"上移 1号楼 204",
				);
				expect(await panel.getByRole("button", { name: "上移 2号楼 302" }).isDisabled()).toBe(true);
				// Auto-claim: a checkbox with its label, and a sentence that says what happens and when.
				const auto = page.getByLabel("入场后自动锁定");
				expect(await auto.isChecked()).toBe(false);
				expect(await page.locator("#auto-claim-help").textContent()).toContain("入场 30 秒后");
				await auto.check();
				await poll(() => page.locator("#wish-message").textContent()).toBe("心愿单已保存。");
				expect(await seriousViolations(page)).toEqual([]);

				await page.reload();
				await page.locator("#grid button.unit").first().waitFor();
				await poll(names).toEqual(["1. 2号楼 302 可选", "2. 1号楼 204 可选", "3. 1号楼 401 可选"]);
				expect(await page.getByLabel("入场后自动锁定").isChecked()).toBe(true);

				// The staff see the demand: the heat map names the units, 2号楼 302 first.
				const heat = await admin("GET", `/api/admin/events/${eventId}/wishes`);
				expect(heat.listings.find((l: { id: string }) => l.id === "2-03-02")).toMatchObject({
					wishes: 1,
					firstChoice: 1,
				});
				const dashboard = await staffPage(`/dashboard?event=${eventId}`, viewport);
				await poll(() => dashboard.locator("#heat-table tbody tr").count()).toBe(3);
				expect(await dashboard.locator("#heat-table tbody tr").first().locator("th").textContent()).toBe("2号楼 302");
				await poll(() => dashboard.locator("#batch-now").textContent()).toContain("第 1 批将于");
				expect(await seriousViolations(dashboard)).toEqual([]);
				expect(problems).toEqual([]);
			},
			SLOW_TEST,
		);
	}

	it(
		"phone: after losing a wished unit (sold_out), one tap claims the next wish that is still free",
		async () => {
			const eventId = await seedLottery({ batchSize: 3, batchSeconds: 10 });
			const order = await drawByApi(eventId);
			const [me, rival, other] = [buyerById(order[0] ?? ""), buyerById(order[1] ?? ""), buyerById(order[2] ?? "")];
			const page = await buyerPage(eventId, PHONE);
			await logIn(page, me);
			const star = page.locator("#wish-toggle");
			for (const id of ["1-04-02", "1-04-03", "2-01-01"]) {
				await page.locator(`button.unit[data-id="${id}"]`).click();
				await star.click();
				await poll(() => star.getAttribute("aria-pressed")).toBe("true");
			}
			await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" });
			// Entered: the list is fixed, its units one tap away.
			await poll(() => page.locator("#wish-note").textContent(), { timeout: 20_000 }).toContain("心愿单不能再修改");
			expect(await page.locator("#wish-list button[data-move]").count()).toBe(0);
			const rivalClient = new KaipanClient({ baseUrl, headers: { "cf-connecting-ip": "2001:db8:12::1" } });
			await rivalClient.login(eventId, rival.id, rival.accessCode);
			// 1-04-03 is gone before the buyer gets there (another buyer took it while the page looked away).
			const otherClient = new KaipanClient({ baseUrl, headers: { "cf-connecting-ip": "2001:db8:12::2" } });
			await otherClient.login(eventId, other.id, other.accessCode);
			await otherClient.claim("1-04-03");
			// The buyer and the rival press 1-04-02 at once; the rival's claim is answered first.
			const rivalDone = await holdClaims(page);
			await page.locator("#wish-list .wish-unit").first().click();
			const claim = page.locator("#claim");
			await poll(() => claim.isEnabled(), { timeout: 20_000 }).toBe(true);
			await claim.click();
			await rivalClient.claim("1-04-02").catch(() => undefined);
			rivalDone();
			await poll(() => shownInView(page, /已被抢：1号楼 402/)).toBe(true);
			// The next wish still free is 2号楼 101 (1号楼 403 is taken): one tap claims it.
			const next = page.locator("#next-wish");
			await poll(() => next.textContent()).toBe("抢下一个心愿：2号楼 101");
			expect(await shownInView(page, /抢下一个心愿/)).toBe(true);
			await page.unroute("**/claims");
			await next.click();
			await poll(() => shownInView(page, /已为您锁定\s*2号楼 101/), { timeout: 20_000 }).toBe(true);
			expect(await page.locator("#next-wish-row").isHidden()).toBe(true);
			expect(await seriousViolations(page)).toEqual([]);
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);

	it(
		"desktop: auto-claim on, the system's hold shows in 我的锁定 marked as made from the wish list",
		async () => {
			const eventId = await seedLottery({ batchSize: 3, batchSeconds: 10 });
			// No wait after entry: the system claims at the entry time itself.
			const ev = (await admin("GET", `/api/admin/events/${eventId}`)).event;
			await admin("PUT", `/api/admin/events/${eventId}`, {
				name: ev.name,
				startsAt: ev.startsAt,
				endsAt: ev.endsAt,
				holdSeconds: ev.holdSeconds,
				mode: "lottery",
				batchSize: 3,
				batchSeconds: 10,
				autoClaimDelaySeconds: 0,
			});
			const order = await drawByApi(eventId);
			const page = await buyerPage(eventId, DESKTOP);
			await logIn(page, buyerById(order[2] ?? ""));
			await page.locator('button.unit[data-id="2-02-02"]').click();
			await page.locator("#wish-toggle").click();
			await poll(() => page.locator("#wish-toggle").getAttribute("aria-pressed")).toBe("true");
			expect(await page.locator("#auto-claim-help").textContent()).toContain("在您入场的时刻");
			await page.getByLabel("入场后自动锁定").check();
			await poll(() => page.locator("#wish-message").textContent()).toBe("心愿单已保存。");
			await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" });
			const held = page.locator("#holds li[data-status=held]");
			await poll(() => held.count(), { timeout: 30_000, interval: 250 }).toBe(1);
			expect(await held.textContent()).toContain("2号楼 202");
			expect(await held.textContent()).toContain("系统按心愿单自动锁定");
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});

describe("the console's lottery fields and draw panel", () => {
	it(
		"phone: the form edits mode, batch and the auto-claim delay; a committed draw's panel passes axe",
		async () => {
			const eventId = await seedLottery({ batchSize: 5, batchSeconds: 120 });
			const page = await staffPage(`/console?event=${eventId}`, PHONE);
			await poll(() => page.locator("#ev-batch-size").inputValue()).toBe("5");
			expect(await page.getByLabel("每批间隔（秒）").inputValue()).toBe("120");
			await page.getByLabel("自动锁定延迟（秒）").fill("45");
			await page.locator("#event-form").getByRole("button", { name: "保存" }).click();
			await poll(async () => (await admin("GET", `/api/admin/events/${eventId}`)).event.autoClaimDelaySeconds).toBe(45);
			// A pasted hash (a notary's) is committed as it is.
			await page.getByLabel("种子指纹（seedHash，64 位小写十六进制）").fill(sha256("notary-seed"));
			await page.locator("#commit-form").getByRole("button", { name: "提交承诺" }).click();
			await page.getByRole("dialog").getByRole("button", { name: "提交承诺" }).click();
			await poll(() => page.locator("#draw-status").textContent()).toBe("摇号状态：已承诺，待揭晓");
			// A wrong seed is refused here, in words, and nothing is sent.
			await page.getByLabel("种子", { exact: true }).fill("not-the-seed");
			await page.locator("#reveal-form").getByRole("button", { name: "揭晓" }).click();
			await poll(() => page.locator("#draw-message").textContent()).toBe(
				"这个种子的 SHA-256 与承诺的指纹不符，没有提交。",
			);
			expect((await publicDraw(eventId)).status).toBe("committed");
			expect(await seriousViolations(page)).toEqual([]);
			// The mode cannot change after the commit: the server's refusal is said with the field's name.
			await page.getByLabel("方式").selectOption("race");
			await page.locator("#event-form").getByRole("button", { name: "保存" }).click();
			await poll(() => page.locator("#message").textContent()).toBe(
				"摇号已承诺：选房方式、每批人数和间隔不能再修改（承诺时已一并确定）。",
			);
			expect((await admin("GET", `/api/admin/events/${eventId}`)).event.mode).toBe("lottery");
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});

describe("a rehearsal (模拟开盘) is marked on every page", () => {
	it(
		"phone: the buyer page, the dashboard and the console say it is a practice copy, naming the real event",
		async () => {
			const eventId = await seedLottery();
			const rehearsalId = `${eventId}-r`;
			const startsAt = Date.now() + 600_000;
			await admin("POST", `/api/admin/events/${eventId}/rehearsal`, {
				rehearsalId,
				startsAt: new Date(startsAt).toISOString(),
				endsAt: new Date(startsAt + 3_600_000).toISOString(),
			});
			const band = `模拟开盘（演练）：这是活动 ${eventId} 的练习副本，不发短信，这里的锁定和订单都不计入真实开盘。`;
			const buyer = await buyerPage(rehearsalId, PHONE);
			await poll(() => buyer.locator("#rehearsal-band").textContent()).toBe(band);
			expect(await shownInView(buyer, /模拟开盘（演练）/)).toBe(true);
			const dashboard = await staffPage(`/dashboard?event=${rehearsalId}`, PHONE);
			await poll(() => dashboard.locator("#rehearsal-band").textContent()).toBe(band);
			const consolePage = await staffPage(`/console?event=${rehearsalId}`, PHONE);
			await poll(() => consolePage.locator("#rehearsal-band").textContent()).toBe(band);
			expect(await seriousViolations(buyer)).toEqual([]);
			// The real event is not marked.
			const real = await buyerPage(eventId, PHONE);
			await poll(() => real.locator("#lottery-panel").isVisible()).toBe(true);
			expect(await real.locator("#rehearsal-band").count()).toBe(0);
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});
