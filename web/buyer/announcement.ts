// The operator's announcement on the buyer page (issue 13): why the sale is paused, when it resumes.
// A banner between the header and the page, shown to everyone on the page (logged in or not). Its text
// is the operator's, so it is set as text, never as markup (dom.ts h()): "<b>" shows as "<b>".
//
// Two sources: every event read (the page reads the event every few seconds; the answer may be a
// couple of seconds old, edge caches included) and the live feed's {type:"announcement"} frame,
// which is newer. So a pushed word wins over event reads for FRESHER_THAN_READS_MS.
import type { Announcement } from "../../client/live-frames";
import { h } from "../shared/dom";
import { formatTime, t } from "../shared/i18n";

/** An event read is at most ~2 s old (max-age=1 at the browser and 1 s at the edge): 4 s is safe. */
const FRESHER_THAN_READS_MS = 4_000;

let current: Announcement | null = null;
let pushedAt = 0;
let banner: HTMLElement | null = null;

/** The banner element, made once, placed before <main> (outside the page's own grid layout). */
function element(): HTMLElement {
	if (banner) return banner;
	banner = h(
		"aside",
		{ id: "announcement", class: "announcement", "aria-labelledby": "announcement-label", hidden: true },
		h("strong", { id: "announcement-label", class: "announcement-label" }),
		h("div", { class: "announcement-body", role: "status", "aria-live": "polite" }),
	);
	const main = document.querySelector("main");
	if (main) main.before(banner);
	else document.body.prepend(banner);
	return banner;
}

function render(): void {
	const el = element();
	const label = el.querySelector<HTMLElement>(".announcement-label");
	const body = el.querySelector<HTMLElement>(".announcement-body");
	if (!label || !body) return;
	el.hidden = current === null;
	label.textContent = t("announcementLabel");
	if (current === null) {
		body.replaceChildren();
		return;
	}
	body.replaceChildren(
		h("p", { class: "announcement-text", text: current.text }),
		h("p", { class: "announcement-at", text: t("announcementAt", { time: formatTime(current.postedAt) }) }),
	);
	el.dataset.postedAt = current.postedAt;
}

function same(a: Announcement | null, b: Announcement | null): boolean {
	return a?.text === b?.text && a?.postedAt === b?.postedAt;
}

/** From an event read (GET /api/events/:id): applied unless a fresher push came in just now. */
export function announcementFromEvent(announcement: Announcement | null | undefined): void {
	if (Date.now() - pushedAt < FRESHER_THAN_READS_MS) return;
	const next = announcement ?? null;
	if (same(next, current) && banner) return;
	current = next;
	render();
}

/** From the live feed: the newest word, applied at once. */
export function announcementPushed(announcement: Announcement | null): void {
	pushedAt = Date.now();
	current = announcement;
	render();
}

/** The page's language changed. */
export function announcementRelabel(): void {
	if (banner) render();
}
