// What the buyer-page browser tests share: an event seeded through the admin API (the demo catalogue,
// so unit ids look like the real ones: "1-15-02" is 1号楼 1502), buyers with known codes, a buyer page
// in its own browser context, a second device or rival buyer driven through the client module, and
// "is this text where the buyer is looking" checks.
import type { Page } from "playwright-core";
import { KaipanClient } from "../client/kaipan-client";
import { adminRequest, demoListings } from "../scripts/demo-data.mjs";
import { type BrowserPages, PHONE } from "./pages";

export interface SeedOptions {
	/** Opens this long after now; 0 opens at once (the operator's "open"). */
	opensInMs?: number;
	holdSeconds?: number;
	perBuyerLimit?: number;
	buyers?: number;
	floors?: number;
}

export interface Buyer {
	id: string;
	accessCode: string;
}

export interface Seeded {
	eventId: string;
	/** At least three. */
	buyers: [Buyer, Buyer, Buyer, ...Buyer[]];
}

export function buyerKit(baseUrl: string, token: string) {
	const admin = (method: string, path: string, body?: unknown) => adminRequest(baseUrl, token, method, path, body);
	let counter = 0;

	async function seed(options: SeedOptions = {}): Promise<Seeded> {
		const { opensInMs = 0, holdSeconds = 300, perBuyerLimit = 1, floors = 20 } = options;
		const buyers = Math.max(3, options.buyers ?? 3);
		counter += 1;
		const eventId = `bp-${Date.now().toString(36)}-${counter}`;
		const now = Date.now();
		const startsAt = now + (opensInMs > 0 ? opensInMs : 3_600_000);
		await admin("PUT", `/api/admin/events/${eventId}`, {
			name: "滨江壹号 · 买家页测试",
			startsAt: new Date(startsAt).toISOString(),
			endsAt: new Date(startsAt + 3_600_000).toISOString(),
			holdSeconds,
			perBuyerLimit,
		});
		await admin("PUT", `/api/admin/events/${eventId}/listings`, { listings: demoListings({ floors }) });
		const list: Buyer[] = Array.from({ length: buyers }, (_, i) => ({
			id: `b${String(i + 1).padStart(4, "0")}`,
			accessCode: `2468101${i}`,
		}));
		await admin("PUT", `/api/admin/events/${eventId}/buyers`, { buyers: list });
		if (opensInMs <= 0) await setStatus(eventId, "open");
		return { eventId, buyers: list as Seeded["buyers"] };
	}

	function setStatus(eventId: string, status: "open" | "paused" | "closed" | "auto") {
		return admin("POST", `/api/admin/events/${eventId}/status`, { status });
	}

	/** A buyer on another device (or a rival buyer): the client module, as scripts and apps use it. */
	async function device(eventId: string, buyer: Buyer): Promise<KaipanClient> {
		const client = new KaipanClient({ baseUrl });
		await client.login(eventId, buyer.id, buyer.accessCode);
		return client;
	}

	return { admin, seed, setStatus, device };
}

/** What a buyer page says in the console on purpose: refused requests (4xx/5xx), a refused WebSocket, a
 * network failure a test makes. */
export const BUYER_PAGE_NOISE = /status of [45]|WebSocket|net::ERR_INTERNET_DISCONNECTED/;

/** A buyer page in a fresh context (one person) of the file's browser; script errors go to its `problems`. */
export function openBuyer(
	pages: BrowserPages,
	eventId: string,
	options: { viewport?: { width: number; height: number }; lang?: "zh" | "en" } = {},
): Promise<Page> {
	return pages.open(`/?event=${encodeURIComponent(eventId)}`, {
		viewport: options.viewport ?? PHONE,
		lang: options.lang ?? "zh",
		ignore: BUYER_PAGE_NOISE,
	});
}

export async function logIn(page: Page, buyer: Buyer): Promise<void> {
	await page.locator("#buyer-id").fill(buyer.id);
	await page.locator("#access-code").fill(buyer.accessCode);
	await page.locator("#login-form button[type=submit]").click();
	// The grid shows before login too (issue 13): logged in is when the logout button shows.
	await page.locator("#logout").waitFor();
	await page.locator("#grid button.unit").first().waitFor();
}

/**
 * Whether some visible element whose own text matches `pattern` lies wholly inside the viewport
 * right now: what a buyer sees without scrolling.
 */
export function shownInView(page: Page, pattern: RegExp): Promise<boolean> {
	return page.evaluate(
		([source, flags]) => {
			const re = new RegExp(source, flags);
			for (const el of document.querySelectorAll<HTMLElement>("body *")) {
				if (!re.test(el.textContent ?? "")) continue;
				// The innermost element that says it.
				if ([...el.children].some((c) => re.test(c.textContent ?? ""))) continue;
				if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
				const r = el.getBoundingClientRect();
				if (r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= innerWidth) {
					return true;
				}
			}
			return false;
		},
		[pattern.source, pattern.flags] as const,
	);
}

/** Every visible text on the page that matches (to check what is no longer said anywhere). */
export function shownAnywhere(page: Page, pattern: RegExp): Promise<string[]> {
	return page.evaluate(
		([source, flags]) => {
			const re = new RegExp(source, flags);
			const found: string[] = [];
			for (const el of document.querySelectorAll<HTMLElement>("body *")) {
				const text = el.textContent ?? "";
				if (!re.test(text) || [...el.children].some((c) => re.test(c.textContent ?? ""))) continue;
				if (el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) found.push(text.trim());
			}
			return found;
		},
		[pattern.source, pattern.flags] as const,
	);
}

/** Whether the element lies wholly inside the viewport. */
export function wholeInView(page: Page, selector: string): Promise<boolean> {
	return page.locator(selector).evaluate((el) => {
		const r = el.getBoundingClientRect();
		return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
	});
}
