// Debian's Chromium driven by playwright-core (no browser is downloaded). Each launch runs on a
// fresh, throw-away profile; each context is one person (its own cookies and storage).
import { type Browser, chromium } from "playwright-core";

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
