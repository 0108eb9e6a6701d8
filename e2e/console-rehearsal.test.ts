// 模拟开盘 from the console (web/console/rehearsal.ts), in a real Chromium against the real dev server,
// on a phone first: the operator creates a rehearsal of the event, asked first in words that say what is
// copied and what is not touched; cancelling creates nothing; the links open the rehearsal, marked as
// one. The server's refusals (an id in use, a rehearsal of a rehearsal) are said in this form's words,
// in Chinese and English; sales staff do not see the form. axe-core finds no serious violation.
import { describe, expect, inject, it } from "vitest";
import { buyerKit, openBuyer } from "./buyer-kit";
import { PHONE, poll, seriousViolations, useBrowserPages } from "./pages";

const baseUrl = inject("baseUrl");
const token = inject("adminToken");
const kit = buyerKit(baseUrl, token);
const browserPages = useBrowserPages(baseUrl);
const { open, problems } = browserPages;
const SLOW_TEST = 120_000;

/** The console signed in as `staffToken` (the operator's unless said). */
function consolePage(eventId: string, options: { staffToken?: string; lang?: "zh" | "en" } = {}) {
	return open(`/console?event=${encodeURIComponent(eventId)}`, {
		viewport: PHONE,
		staffToken: options.staffToken ?? token,
		lang: options.lang ?? "zh",
		timeout: 10_000,
		navigationTimeout: 30_000,
		ignore: /status of [45]|WebSocket/,
	});
}

/** The HTTP status of the admin read of an event (404 while nothing was created). */
async function eventStatus(eventId: string): Promise<number> {
	const res = await fetch(`${baseUrl}/api/admin/events/${encodeURIComponent(eventId)}`, {
		headers: { authorization: `Bearer ${token}` },
	});
	await res.body?.cancel();
	return res.status;
}

describe("创建模拟开盘 from the console", () => {
	it(
		"phone: suggests a free id, asks first (cancel creates nothing), creates it and links to it, marked",
		async () => {
			const { eventId } = await kit.seed({ opensInMs: 3_600_000 });
			const page = await consolePage(eventId);
			const panel = page.locator("#rehearsal-panel");
			await poll(() => panel.isVisible()).toBe(true);
			const suggested = `${eventId}-rehearsal-1`;
			await poll(() => page.getByLabel("模拟活动编号").inputValue()).toBe(suggested);
			// Starts in about ten minutes (the page's clock is this machine's), as long as the event lasts.
			const startsIn = Date.parse(await page.locator("#rh-starts").inputValue()) - Date.now();
			expect(startsIn).toBeGreaterThan(8 * 60_000);
			expect(startsIn).toBeLessThan(12 * 60_000);
			const length = Date.parse(await page.locator("#rh-ends").inputValue()) - Date.now() - startsIn;
			expect(Math.abs(length - 3_600_000)).toBeLessThan(60_000);

			// Asked first, in words that say what happens; cancel sends nothing.
			await panel.getByRole("button", { name: "创建模拟开盘" }).click();
			const dialog = page.getByRole("dialog");
			await poll(() => dialog.textContent()).toContain(`把活动 ${eventId} 复制为模拟开盘 ${suggested}？`);
			const words = (await dialog.textContent()) ?? "";
			for (const said of ["房源、认筹客户和认筹码", "不发短信", "有自己的账本", "真实活动不受影响"]) {
				expect(words).toContain(said);
			}
			expect(await seriousViolations(page)).toEqual([]);
			await dialog.getByRole("button", { name: "取消" }).click();
			await poll(() => dialog.count()).toBe(0);
			expect(await eventStatus(suggested)).toBe(404);
			expect(await page.locator("#rehearsal-message").textContent()).toBe("");

			// Confirmed: created, said, with the three links; the next suggestion is the next free id.
			await panel.getByRole("button", { name: "创建模拟开盘" }).click();
			await dialog.getByRole("button", { name: "创建模拟开盘" }).click();
			const message = page.locator("#rehearsal-message");
			await poll(() => message.textContent()).toContain(`已创建模拟开盘 ${suggested}。`);
			const created = await kit.admin("GET", `/api/admin/events/${suggested}`);
			expect(created.event.rehearsalOf).toBe(eventId);
			expect(created.counts.buyers).toBe(3);
			expect((await kit.admin("GET", `/api/admin/events/${eventId}`)).event.rehearsalOf).toBeNull();
			const q = `?event=${encodeURIComponent(suggested)}`;
			expect(await message.getByRole("link", { name: "打开销控看板" }).getAttribute("href")).toBe(`/dashboard${q}`);
			expect(await message.getByRole("link", { name: "打开买家页" }).getAttribute("href")).toBe(`/${q}`);
			await poll(() => page.getByLabel("模拟活动编号").inputValue()).toBe(`${eventId}-rehearsal-2`);
			expect(await seriousViolations(page)).toEqual([]);

			// The console link opens the rehearsal here, with its band; its own form is off.
			await message.getByRole("link", { name: "在控制台打开" }).click();
			const band = `模拟开盘（演练）：这是活动 ${eventId} 的练习副本，不发短信，这里的锁定和订单都不计入真实开盘。`;
			await poll(() => page.locator("#rehearsal-band").textContent()).toBe(band);
			expect(new URL(page.url()).searchParams.get("event")).toBe(suggested);
			await poll(() => page.locator("#rehearsal-note").textContent()).toBe(
				`这本身就是模拟开盘，不能再复制；请打开真实活动 ${eventId} 再创建。`,
			);
			expect(await page.getByRole("button", { name: "创建模拟开盘" }).isDisabled()).toBe(true);
			// So is the buyer page the link named.
			const buyer = await openBuyer(browserPages, suggested, { viewport: PHONE });
			await poll(() => buyer.locator("#rehearsal-band").textContent()).toBe(band);
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);

	it(
		"phone: an id in use is refused in words, in Chinese and in English, and nothing changes",
		async () => {
			const { eventId } = await kit.seed({ opensInMs: 3_600_000 });
			const other = await kit.seed({ opensInMs: 3_600_000 });
			for (const [lang, said, action] of [
				["zh", `已有活动 “${other.eventId}”，没有创建。模拟开盘需要一个新的编号。`, "创建模拟开盘"],
				[
					"en",
					`An event “${other.eventId}” already exists; nothing was created. A rehearsal needs a new ID.`,
					"Create rehearsal",
				],
			] as const) {
				const page = await consolePage(eventId, { lang });
				const panel = page.locator("#rehearsal-panel");
				await poll(() => page.locator("#rh-id").inputValue()).toBe(`${eventId}-rehearsal-1`);
				await page.locator("#rh-id").fill(other.eventId);
				await panel.getByRole("button", { name: action }).click();
				await page.getByRole("dialog").getByRole("button", { name: action }).click();
				await poll(() => page.locator("#rehearsal-message").textContent()).toBe(said);
				expect(await page.locator("#rehearsal-message").getAttribute("data-kind")).toBe("error");
				expect(await seriousViolations(page)).toEqual([]);
			}
			// The other event is still a real one.
			expect((await kit.admin("GET", `/api/admin/events/${other.eventId}`)).event.rehearsalOf).toBeNull();
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);

	it(
		"phone: sales staff do not see the form (the server refuses them anyway)",
		async () => {
			const sales = await kit.admin("POST", "/api/admin/staff", { name: `销售 ${Date.now()}`, role: "sales" });
			const { eventId } = await kit.seed({ opensInMs: 3_600_000 });
			const page = await consolePage(eventId, { staffToken: sales.token });
			await poll(() => page.locator("#role-notice").isVisible()).toBe(true);
			expect(await page.locator("#rehearsal-panel").isVisible()).toBe(false);
			const refused = await fetch(`${baseUrl}/api/admin/events/${eventId}/rehearsal`, {
				method: "POST",
				headers: { authorization: `Bearer ${sales.token}`, "content-type": "application/json" },
				body: JSON.stringify({
					rehearsalId: `${eventId}-rehearsal-1`,
					startsAt: new Date(Date.now() + 600_000).toISOString(),
					endsAt: new Date(Date.now() + 4_200_000).toISOString(),
				}),
			});
			expect(refused.status).toBe(403);
			expect(await eventStatus(`${eventId}-rehearsal-1`)).toBe(404);
			expect(problems).toEqual([]);
		},
		SLOW_TEST,
	);
});
