// Two languages, Chinese first. Static text in the pages carries data-i18n="key" (and
// data-i18n-attr="placeholder|aria-label|title" for attributes); scripts call t(). The choice is kept
// in localStorage so every page opens in the language last picked.
import { MESSAGES, type MessageKey } from "./messages";

export type Lang = "zh" | "en";
const STORAGE_KEY = "kp_lang";
const listeners = new Set<() => void>();

let current: Lang = readStored();

function readStored(): Lang {
	try {
		return localStorage.getItem(STORAGE_KEY) === "en" ? "en" : "zh";
	} catch {
		return "zh";
	}
}

export function lang(): Lang {
	return current;
}

/** The message in the current language, with {name} placeholders filled in. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
	const text = MESSAGES[current][key];
	return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

export function onLangChange(fn: () => void): void {
	listeners.add(fn);
}

export function setLang(next: Lang): void {
	current = next;
	try {
		localStorage.setItem(STORAGE_KEY, next);
	} catch {
		// Private mode: the choice lasts for this page only.
	}
	applyStatic(document);
	for (const fn of listeners) fn();
}

/** Fills every [data-i18n] element (text or the named attribute) and the page's lang and title. */
export function applyStatic(root: Document): void {
	root.documentElement.lang = current === "zh" ? "zh-CN" : "en";
	for (const el of root.querySelectorAll<HTMLElement>("[data-i18n]")) {
		const key = el.dataset.i18n as MessageKey;
		const attr = el.dataset.i18nAttr;
		if (attr) el.setAttribute(attr, t(key));
		else el.textContent = t(key);
	}
}

/** Wires the page's language button (#lang-toggle) and translates the page once. */
export function initI18n(): void {
	applyStatic(document);
	document.getElementById("lang-toggle")?.addEventListener("click", () => setLang(current === "zh" ? "en" : "zh"));
}

export function formatMoney(cents: number, currency: string): string {
	return new Intl.NumberFormat(current === "zh" ? "zh-CN" : "en-US", {
		style: "currency",
		currency,
		maximumFractionDigits: 0,
	}).format(cents / 100);
}

export function formatTime(iso: string): string {
	return new Date(iso).toLocaleString(current === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}

/** "01:02:03" or "2天 01:02:03" for a duration in ms (never negative). */
export function formatCountdown(ms: number): string {
	const total = Math.max(0, Math.ceil(ms / 1000));
	const days = Math.floor(total / 86_400);
	const pad = (n: number) => String(n).padStart(2, "0");
	const clock = `${pad(Math.floor((total % 86_400) / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
	return days > 0 ? `${t("days", { n: days })} ${clock}` : clock;
}
