// Debian's Chromium driven by playwright-core (no browser is downloaded). Each launch runs on a
// fresh, throw-away profile; each context is one person (its own cookies and storage).
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM_ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--no-first-run",
];

export function launchChromium(): Promise<Browser> {
	return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/**
 * Holds the page's claim requests until the returned function is called, so that a rival's claim sent
 * meanwhile is answered first: "both pressed at the same moment", in a known order.
 */
export async function holdClaims(page: Page): Promise<() => void> {
	let release: () => void = () => undefined;
	const released = new Promise<void>((r) => {
		release = r;
	});
	await page.route("**/claims", async (route) => {
		await released;
		await route.continue();
	});
	return release;
}
