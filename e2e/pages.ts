// What every browser test file sets up the same way, written once: one Chromium per file, pages each in
// a fresh context (one person) whose script errors are collected into `problems`, closed after each
// test; a staff page signed in through sessionStorage; expect.poll with room for a busy machine; and
// the axe-core check. Kept apart from browser.ts, which scripts (screenshots) import outside vitest.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { launchChromium } from "./browser";

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };
export const WIDTHS = [
	["phone", PHONE],
	["desktop", DESKTOP],
] as const;

export type Viewport = { width: number; height: number };

/** expect.poll with room for a dev server on a busy 2-core machine (vitest's default is 1 s). */
export function poll<T>(fn: () => T | Promise<T>, options: { timeout?: number; interval?: number } = {}) {
	return expect.poll(fn, { timeout: 15_000, interval: 100, ...options });
}

/**
 * Script errors on `page` go into `problems`; console errors matching `ignore` do not (a refused
 * request is the page working as meant; each file says which refusals its pages make on purpose).
 */
export function watchPage(page: Page, problems: string[], ignore: RegExp): void {
	page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
	page.on("console", (m) => {
		if (m.type() === "error" && !ignore.test(m.text())) problems.push(`console: ${m.text()}`);
	});
}

export interface PageOptions {
	viewport?: Viewport;
	/** A staff token put in sessionStorage before the page loads (signed in), or none. */
	staffToken?: string | null;
	lang?: "zh" | "en";
	acceptDownloads?: boolean;
	/** The context's default timeout for actions (and navigations, unless navigationTimeout says). */
	timeout?: number;
	navigationTimeout?: number;
	/** Console errors that are not problems (watchPage). */
	ignore: RegExp;
}

/** One Chromium for the test file, registered with the file's hooks; see the file header. */
export function useBrowserPages(baseUrl: string) {
	let browser: Browser | undefined;
	const problems: string[] = [];
	const pages: Page[] = [];
	beforeAll(async () => {
		browser = await launchChromium();
	});
	afterAll(async () => {
		await browser?.close();
	});
	beforeEach(() => {
		problems.length = 0;
	});
	afterEach(async () => {
		for (const page of pages.splice(0)) await page.context().close();
	});

	function theBrowser(): Browser {
		if (!browser) throw new Error("the browser starts in beforeAll");
		return browser;
	}

	/** A page at `path` in its own context (one person), closed after the test. */
	async function open(path: string, options: PageOptions): Promise<Page> {
		const { viewport = DESKTOP, staffToken = null, lang = "zh", acceptDownloads = false } = options;
		const context = await theBrowser().newContext({ viewport, locale: "zh-CN", acceptDownloads });
		if (options.timeout !== undefined) context.setDefaultTimeout(options.timeout);
		if (options.navigationTimeout !== undefined) context.setDefaultNavigationTimeout(options.navigationTimeout);
		if (staffToken) await context.addInitScript((t) => sessionStorage.setItem("kp_admin_token", t), staffToken);
		if (lang === "en") await context.addInitScript(() => localStorage.setItem("kp_lang", "en"));
		const page = await context.newPage();
		watchPage(page, problems, options.ignore);
		pages.push(page);
		await page.goto(`${baseUrl}${path}`);
		return page;
	}

	/** Closes `page`'s context after the test too (a page opened some other way). */
	function track(page: Page): Page {
		pages.push(page);
		return page;
	}

	return { browser: theBrowser, problems, open, track };
}

export type BrowserPages = ReturnType<typeof useBrowserPages>;

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * axe-core's serious and critical violations on the page as it is now: the WCAG 2.1 A/AA and
 * best-practice rules, or with `allRules` every rule axe runs by default (the staff pages' check).
 */
export async function seriousViolations(page: Page, options: { allRules?: boolean } = {}): Promise<string[]> {
	// Evaluated through the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
	await page.evaluate(axeSource);
	const runOptions = options.allRules
		? { resultTypes: ["violations"] }
		: { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] };
	return page.evaluate(async (opts) => {
		interface AxeResults {
			violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[];
		}
		const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<AxeResults> } }).axe;
		const result = await axe.run(document, opts);
		return result.violations
			.filter((v) => v.impact === "serious" || v.impact === "critical")
			.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`);
	}, runOptions);
}
