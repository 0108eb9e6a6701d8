// The buyer page: log in with the access code, count down to the opening on the server's clock, pick
// a unit from the live grid and claim it (signed by the client module, throttled), then watch "my
// holds" count down. Every API error code has its own sentence (shared/errors.ts).
import { type Hold, KaipanClient, type PublicEvent, type Session } from "../client/kaipan-client";
import { $, $button, $input, h, say } from "./shared/dom";
import { describeError, toErrorLike } from "./shared/errors";
import { type GridUnit, initialStatus, UnitGrid } from "./shared/grid";
import { formatCountdown, formatMoney, formatTime, initI18n, onLangChange, t } from "./shared/i18n";
import { LiveFeed, wsUrl } from "./shared/live";
import type { MessageKey } from "./shared/messages";

const SESSION_KEY = "kp_buyer_session";
/** After any claim answer the button rests this long: one click is one request. */
const CLAIM_COOLDOWN_MS = 1_000;
const EVENT_REFRESH_MS = 5_000;
const POLL_MS = 5_000;

const eventId = new URLSearchParams(location.search).get("event") ?? "demo";
/** Server time minus local time, from the event endpoint's serverTime (half the round trip added). */
let clockOffset = 0;
const serverNow = () => Date.now() + clockOffset;
const client = new KaipanClient({ auth: "cookie", now: serverNow });

let event: PublicEvent | null = null;
let holds: Hold[] = [];
let selected: GridUnit | null = null;
let claimBusy = false;
let cooldownUntil = 0;
let feed: LiveFeed | null = null;
let poll: ReturnType<typeof setInterval> | null = null;

const message = $("#message");
const grid = new UnitGrid(
	$("#grid"),
	() => event?.currency ?? "CNY",
	(unit) => select(unit),
);

initI18n();
onLangChange(() => {
	grid.render(grid.all());
	renderSelected();
	renderHolds();
	tick();
});

$("#login-form").addEventListener("submit", (e) => {
	e.preventDefault();
	void login();
});
$("#logout").addEventListener("click", () => void logout());
$("#claim").addEventListener("click", () => void claim());

void start();

async function start(): Promise<void> {
	await refreshEvent();
	setInterval(() => void refreshEvent(), EVENT_REFRESH_MS);
	setInterval(tick, 250);
	const stored = sessionStorage.getItem(SESSION_KEY);
	if (stored) {
		// The session token itself stays in the HttpOnly cookie; the page keeps only the signing key.
		client.session = { ...(JSON.parse(stored) as Omit<Session, "sessionToken">), sessionToken: "" };
		if (client.session.eventId === eventId) await enter();
		else forget();
	}
}

async function refreshEvent(): Promise<void> {
	try {
		const sentAt = Date.now();
		const answer = await client.getEvent(eventId);
		const receivedAt = Date.now();
		// Whole milliseconds: X-Timestamp must be an integer.
		clockOffset = Math.round(Date.parse(answer.serverTime) - (sentAt + receivedAt) / 2);
		event = answer.event;
		$("#event-name").textContent = event.name;
		document.title = `${event.name} · Kaipan`;
		tick();
	} catch (err) {
		say(message, describeError(err), "error");
	}
}

/** The banner: countdown to the opening (server clock), or the sale's state. */
function tick(): void {
	if (!event) return;
	const banner = $("#banner");
	const now = serverNow();
	const opensIn = Date.parse(event.startsAt) - now;
	let state = event.status;
	// Between two refreshes the clock, not a stale answer, says when "scheduled" turned "open".
	if (state === "scheduled" && opensIn <= 0 && Date.parse(event.endsAt) > now) state = "open";
	banner.dataset.state = state;
	banner.removeAttribute("data-i18n");
	if (state === "scheduled") banner.textContent = t("statusScheduled", { time: formatCountdown(opensIn) });
	else if (state === "open")
		banner.textContent = t("statusOpen", { time: formatCountdown(Date.parse(event.endsAt) - now) });
	else banner.textContent = t(state === "paused" ? "statusPaused" : "statusClosed");
	updateClaimButton(state === "open");
	for (const el of document.querySelectorAll<HTMLElement>("[data-expires]")) {
		el.textContent = t("holdExpiresIn", { time: formatCountdown(Number(el.dataset.expires) - now) });
	}
}

async function login(): Promise<void> {
	say(message, "");
	try {
		const session = await client.login(eventId, $input("#buyer-id").value.trim(), $input("#access-code").value.trim());
		const { sessionToken: _token, ...kept } = session;
		sessionStorage.setItem(SESSION_KEY, JSON.stringify(kept));
		$input("#access-code").value = "";
		await enter();
	} catch (err) {
		say(message, describeError(err), "error");
	}
}

async function logout(): Promise<void> {
	try {
		await client.logout();
	} catch {
		// Logged out locally whatever the server said.
	}
	forget();
}

function forget(): void {
	sessionStorage.removeItem(SESSION_KEY);
	client.session = null;
	feed?.stop();
	feed = null;
	stopPolling();
	for (const id of ["#grid-panel", "#select-panel", "#holds-panel", "#logout"]) $(id).hidden = true;
	$("#login-panel").hidden = false;
	$("#who").textContent = "";
}

/** Logged in: the grid, its live feed and the buyer's holds. */
async function enter(): Promise<void> {
	const session = client.session;
	if (!session) return;
	try {
		await loadHolds();
		await loadListings();
	} catch (err) {
		handleError(err);
		return;
	}
	$("#login-panel").hidden = true;
	for (const id of ["#grid-panel", "#select-panel", "#holds-panel", "#logout"]) $(id).hidden = false;
	$("#who").textContent = t("loggedInAs", { buyer: session.buyerId });
	feed?.stop();
	feed = new LiveFeed(async () => wsUrl(`/api/events/${encodeURIComponent(eventId)}/live`), {
		snapshot: (snap) => {
			stopPolling();
			for (const l of snap.listings) grid.update(l.id, l.available, l.status);
			renderSelected();
		},
		listing: (l) => {
			grid.update(l.id, l.available, l.status);
			if (selected?.id === l.id) renderSelected();
			// One of mine changed (confirmed by staff, expired): its status in "my holds" follows.
			if (holds.some((hold) => hold.listingId === l.id)) void loadHolds().catch(() => undefined);
		},
		state: (state) => {
			say($("#live-state"), state === "open" ? t("liveOn") : t("livePolling"));
			if (state === "down") startPolling();
		},
	});
	feed.start();
}

async function loadListings(): Promise<void> {
	const { listings } = await client.getListings(eventId);
	if (grid.all().length === 0) {
		grid.render(listings.map((l) => ({ ...l, status: initialStatus(l) })));
		return;
	}
	// Polling (live feed down): the public list knows availability, not held vs sold.
	for (const l of listings) {
		const known = grid.get(l.id);
		const status = l.available > 0 ? "available" : known?.status === "sold" ? "sold" : "held";
		grid.update(l.id, l.available, status);
	}
	renderSelected();
}

function startPolling(): void {
	poll ??= setInterval(() => void loadListings().catch(() => undefined), POLL_MS);
}

function stopPolling(): void {
	if (poll) clearInterval(poll);
	poll = null;
}

function select(unit: GridUnit): void {
	selected = unit;
	renderSelected();
	// Straight to the claim button when it can be pressed; before the opening focus stays in the grid.
	const button = $button("#claim");
	if (!button.disabled) button.focus();
}

function renderSelected(): void {
	const root = $("#selected");
	if (!selected) {
		root.replaceChildren(h("p", { class: "muted", text: t("selectHint") }));
		return;
	}
	const u = selected;
	root.replaceChildren(
		h("p", { class: "unit-title", text: `${u.building} ${u.floor}${u.unit}` }),
		h(
			"dl",
			{},
			h("dt", { text: t("layout") }),
			h("dd", { text: u.layout }),
			h("dt", { text: t("area") }),
			h("dd", { text: `${u.areaM2} ㎡` }),
			h("dt", { text: t("price") }),
			h("dd", { text: formatMoney(u.priceCents, event?.currency ?? "CNY") }),
		),
		h("p", { class: `status status--${u.status}`, text: t(`unitStatus_${u.status}` as MessageKey) }),
	);
	tick();
}

function updateClaimButton(open: boolean): void {
	const button = $button("#claim");
	const waitMs = cooldownUntil - Date.now();
	const can = open && !claimBusy && waitMs <= 0 && selected?.status === "available";
	button.disabled = !can;
	if (claimBusy) button.textContent = t("claiming");
	else if (waitMs > 0) button.textContent = t("claimWait", { n: Math.ceil(waitMs / 1000) });
	else if (!open) button.textContent = t("claimNotYet");
	else button.textContent = t("claim");
}

async function claim(): Promise<void> {
	const unit = selected;
	if (!unit || claimBusy || Date.now() < cooldownUntil) return;
	claimBusy = true;
	say(message, "");
	tick();
	try {
		const hold = await client.claim(unit.id);
		say(message, t("claimed", { unit: unit.id, time: hold.expiresAt ? formatTime(hold.expiresAt) : "" }));
		await loadHolds();
	} catch (err) {
		const e = toErrorLike(err);
		if (e.code === "sold_out") grid.update(unit.id, 0, unit.status === "sold" ? "sold" : "held");
		cooldownUntil = Date.now() + Math.max(CLAIM_COOLDOWN_MS, (e.retryAfter ?? 0) * 1000);
		handleError(err);
	} finally {
		claimBusy = false;
		cooldownUntil = Math.max(cooldownUntil, Date.now() + CLAIM_COOLDOWN_MS);
		tick();
	}
}

async function loadHolds(): Promise<void> {
	holds = (await client.myHolds()).holds;
	renderHolds();
}

function renderHolds(): void {
	const root = $("#holds");
	if (holds.length === 0) {
		root.replaceChildren(h("li", { class: "muted", text: t("holdsEmpty") }));
		return;
	}
	root.replaceChildren(
		...holds.map((hold) => {
			const item = h(
				"li",
				{ "data-hold": hold.holdId, "data-status": hold.status },
				h("strong", { text: hold.listingId }),
				h("span", { text: t(`holdStatus_${hold.status}` as MessageKey) }),
			);
			if (hold.status === "held" && hold.expiresAt) {
				item.append(h("span", { class: "countdown", "data-expires": String(Date.parse(hold.expiresAt)) }));
				const cancel = h("button", {
					type: "button",
					text: t("cancelHold"),
					"aria-label": `${t("cancelHold")} ${hold.listingId}`,
				});
				cancel.addEventListener("click", () => void cancelHold(hold));
				item.append(cancel);
			}
			return item;
		}),
	);
	tick();
}

async function cancelHold(hold: Hold): Promise<void> {
	try {
		await client.cancel(hold.holdId);
		say(message, t("cancelled", { unit: hold.listingId }));
		await loadHolds();
	} catch (err) {
		handleError(err);
	}
}

/** Shows the error; a session that ended elsewhere also sends the buyer back to the login form. */
function handleError(err: unknown): void {
	say(message, describeError(err), "error");
	const code = toErrorLike(err).code;
	if (code === "session_revoked" || code === "unauthenticated") forget();
}
