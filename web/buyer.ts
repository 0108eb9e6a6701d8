// The buyer page: log in with the access code, count down to the opening on the server's clock, pick
// a unit from the live grid and claim it (signed by the client module, throttled), then watch "my
// holds" count down.
//
// What the page says is derived from what it knows, not left over from what last happened: the claim
// panel (sticky at the bottom of a phone, beside the grid on a desktop) tells the outcome for the unit
// the buyer is looking at, from their holds and their last attempt at it, for as long as that is true;
// the message at the top is for the page as a whole (network, login, session) and goes when its cause
// does. Every unit is called by one name (shared/units.ts).
import type { EventStatus } from "../client/api-types";
import { type Hold, KaipanClient, type PublicEvent, type Session } from "../client/kaipan-client";
import { announcementFromEvent, announcementPushed, announcementRelabel } from "./buyer/announcement";
import { claimNeedsText } from "./buyer/browse";
import { renderCertificates } from "./buyer/certificate";
import { type FilterState, isEmpty, matches, UnitFilters } from "./buyer/filters";
import { LotteryPanel } from "./buyer/lottery-panel";
import { unitDetails } from "./buyer/unit-details";
import { WishList } from "./buyer/wishlist";
import { $, $button, $input, h, say } from "./shared/dom";
import { describeError, type ErrorLike, toErrorLike } from "./shared/errors";
import { type CellText, type GridUnit, initialStatus, UnitGrid } from "./shared/grid";
import { formatCountdown, formatMoney, formatTime, initI18n, onLangChange, t } from "./shared/i18n";
import { LiveFeed, wsUrl } from "./shared/live";
import type { MessageKey } from "./shared/messages";
import { markRehearsal } from "./shared/rehearsal";
import { unitLabel, unitLabelOf } from "./shared/units";

const SESSION_KEY = "kp_buyer_session";
/** After any claim answer the button rests this long: one click is one request. */
const CLAIM_COOLDOWN_MS = 1_000;
const EVENT_REFRESH_MS = 5_000;
const POLL_MS = 5_000;
/** A hold past its time is asked about again this often until its object says how it ended. */
const OVERDUE_CHECK_MS = 3_000;
/** API.md: ids are case-sensitive `^[A-Za-z0-9_-]{1,64}$`. */
const BUYER_ID = /^[A-Za-z0-9_-]{1,64}$/;

type SaleState = EventStatus | "loading" | "missing";

/** Why the buyer's last claim of a unit was refused (kept while it is still true, see refusalHolds). */
interface Refusal {
	error: ErrorLike;
}

/** The message at the top: about the page as a whole, with the topic that ends it. */
interface Notice {
	topic: "network" | "login" | "session" | "holds" | "other";
	kind: "info" | "error";
	text: () => string;
	/** The unit it is about: the claim panel takes over when that unit is selected or held again. */
	listingId?: string;
}

const eventId = new URLSearchParams(location.search).get("event") ?? "demo";
/** Server time minus local time, from the event endpoint's serverTime (half the round trip added). */
let clockOffset = 0;
const serverNow = () => Date.now() + clockOffset;
const client = new KaipanClient({ auth: "cookie", now: serverNow });

let event: PublicEvent | null = null;
let eventMissing = false;
let entered = false;
let holds: Hold[] = [];
let selected: GridUnit | null = null;
let claimBusy = false;
let cooldownUntil = 0;
let feed: LiveFeed | null = null;
let liveState: "open" | "down" | null = null;
let poll: ReturnType<typeof setInterval> | null = null;
let lastSaleState: SaleState = "loading";
let lastOverdueCheck = 0;
let notice: Notice | null = null;
/** The hold the give-up dialog asks about. */
let pendingCancel: Hold | null = null;
const refusals = new Map<string, Refusal>();

const message = $("#message");
const grid = new UnitGrid(
	$("#grid"),
	() => event?.currency ?? "CNY",
	(unit) => select(unit),
	{ rovingTabIndex: true, cellText },
);
const cancelDialog = $("#cancel-dialog") as HTMLDialogElement;
const filters = new UnitFilters($("#filters"), applyFilter);

/** The grid shows the units the filters let through, and the page says how many. */
function applyFilter(state: FilterState): void {
	filters.showCount(grid.filter(isEmpty(state) ? null : (unit) => matches(unit, state)));
}
// Lottery events (issue 12): the draw, the buyer's turn and wish list; inert in a race event.
const lottery = new LotteryPanel({
	eventId,
	event: () => event,
	now: serverNow,
	signedIn: () => entered && client.session !== null,
	saleState: () => saleState(),
});
const wishes = new WishList(
	{
		event: () => event,
		signedIn: () => entered && client.session !== null,
		unit: (id) => grid.get(id),
		selected: () => selected,
		entered: () => lottery.active() && !lottery.beforeEntry(),
		entryAt: () => lottery.entryAt(),
		now: serverNow,
		mayClaimMore: () => activeHolds() < (event?.perBuyerLimit ?? 1),
		select: (unit) =>
			document.querySelector<HTMLButtonElement>(`#grid button.unit[data-id="${CSS.escape(unit.id)}"]`)?.click(),
		claim: (unit) => {
			document.querySelector<HTMLButtonElement>(`#grid button.unit[data-id="${CSS.escape(unit.id)}"]`)?.click();
			setTimeout(() => void claim(), Math.max(0, cooldownUntil - Date.now()));
		},
		reloadHolds: () => void loadHolds().catch(handleError),
	},
	() => lottery.active(),
);

initI18n();
onLangChange(() => {
	grid.render(grid.all());
	renderWho();
	renderLive();
	renderNotice();
	renderSelected();
	renderHolds();
	announcementRelabel();
	lottery.render();
	wishes.render();
	markRehearsal(event);
	tick();
});

$("#login-form").addEventListener("submit", (e) => {
	e.preventDefault();
	void login();
});
// A pasted id or code often brings spaces along; they are never part of it.
for (const id of ["#buyer-id", "#access-code"]) {
	const input = $input(id);
	input.addEventListener("change", () => {
		input.value = input.value.trim();
	});
}
$("#logout").addEventListener("click", () => void logout());
$("#claim").addEventListener("click", () => void claim());
cancelDialog.addEventListener("close", () => {
	const hold = pendingCancel;
	pendingCancel = null;
	if (hold && cancelDialog.returnValue === "cancel") void cancelHold(hold);
});

void start();

async function start(): Promise<void> {
	await refreshEvent();
	setInterval(() => void refreshEvent(), EVENT_REFRESH_MS);
	setInterval(tick, 250);
	const stored = sessionStorage.getItem(SESSION_KEY);
	if (stored) {
		// The session token itself stays in the HttpOnly cookie; the page keeps only the signing key.
		client.session = { ...(JSON.parse(stored) as Omit<Session, "sessionToken">), sessionToken: "" };
		if (client.session.eventId === eventId && event) await enter();
		else if (client.session.eventId !== eventId) forget();
	}
	layout();
}

// --- the event and the banner ------------------------------------------------------------------------

async function refreshEvent(): Promise<void> {
	try {
		const sentAt = Date.now();
		const answer = await client.getEvent(eventId);
		const receivedAt = Date.now();
		// Whole milliseconds: X-Timestamp must be an integer.
		clockOffset = Math.round(Date.parse(answer.serverTime) - (sentAt + receivedAt) / 2);
		serverAnswered();
		const wasKnown = event !== null;
		event = answer.event;
		eventMissing = false;
		announcementFromEvent(answer.event.announcement);
		$("#event-name").textContent = event.name;
		document.title = `${event.name} · Kaipan`;
		markRehearsal(event);
		void lottery.refresh().then(() => wishes.entryChanged());
		if (!wasKnown) {
			layout();
			// Anyone may browse the catalogue, logged in or not, opened or not (issue 13).
			if (grid.all().length === 0) void loadListings().catch(handleError);
			if (!feed) startPolling();
			// The first answer came late (the network was down at load): a kept session goes on.
			if (client.session && !entered) void enter();
		}
	} catch (err) {
		const e = toErrorLike(err);
		if (e.code === "not_found") {
			serverAnswered();
			event = null;
			eventMissing = true;
			if (client.session) forget();
			layout();
		} else handleError(err);
	}
	tick();
}

/** The sale's state now: the clock, not a stale answer, says when "scheduled" turned "open". */
function saleState(): SaleState {
	if (eventMissing) return "missing";
	if (!event) return "loading";
	const now = serverNow();
	if (
		event.status === "scheduled" &&
		Date.parse(event.startsAt) <= now &&
		Date.parse(event.endsAt) > now &&
		!lottery.holdsOpening()
	) {
		return "open";
	}
	return event.status;
}

/** The banner, the claim panel and the countdowns, four times a second. */
function tick(): void {
	const state = saleState();
	const now = serverNow();
	const banner = $("#banner");
	banner.dataset.state = state;
	banner.removeAttribute("data-i18n");
	if (state === "missing") banner.textContent = t("eventMissing");
	else if (state === "loading") banner.textContent = t("statusLoading");
	else if (!event) return;
	else if (state === "scheduled")
		banner.textContent =
			lottery.bannerText() ?? t("statusScheduled", { time: formatCountdown(Date.parse(event.startsAt) - now) });
	else if (state === "open")
		banner.textContent = t("statusOpen", { time: formatCountdown(Date.parse(event.endsAt) - now) });
	else banner.textContent = t(state === "paused" ? "statusPaused" : "statusClosed");
	if (state !== lastSaleState) {
		lastSaleState = state;
		// A refusal while the sale was open (paused claims, overload, …) says nothing once it is not.
		if (state !== "open") refusals.clear();
	}
	renderClaim();
	lottery.tick();
	wishes.tick();
	for (const el of document.querySelectorAll<HTMLElement>("[data-expires]")) {
		el.textContent = t("holdExpiresIn", { time: formatCountdown(Number(el.dataset.expires) - now) });
	}
	// A hold past its time: ask how it ended (its object's alarm releases it), until it says.
	const overdue = holds.some((hold) => hold.status === "held" && hold.expiresAt && Date.parse(hold.expiresAt) < now);
	if (overdue && entered && Date.now() - lastOverdueCheck > OVERDUE_CHECK_MS) {
		lastOverdueCheck = Date.now();
		void loadHolds().catch(handleError);
	}
}

// --- the message at the top ----------------------------------------------------------------------------

function notify(next: Notice | null): void {
	notice = next;
	renderNotice();
}

function renderNotice(): void {
	say(message, notice?.text() ?? "", notice?.kind ?? "info");
}

function clearNotice(...topics: Notice["topic"][]): void {
	if (notice && topics.includes(notice.topic)) notify(null);
}

/** Any answer from the server: a network problem, if one was shown, is over. */
function serverAnswered(): void {
	clearNotice("network");
	for (const [id, refusal] of refusals) if (refusal.error.code === "network") refusals.delete(id);
}

/** The top message about a unit goes once the claim panel speaks of that unit. */
function clearNoticeAbout(listingId: string): void {
	if (notice?.listingId === listingId) notify(null);
}

/** The buyer page's own words for a few codes; the rest as every page says them. */
function describeBuyerError(err: unknown, unit?: string): string {
	const e = toErrorLike(err);
	switch (e.code) {
		case "bad_credentials":
		case "session_revoked":
		case "degraded":
			return t(`buyerErr_${e.code}`);
		case "sold_out":
			return t("buyerErr_sold_out", { unit: unit ?? "" });
		case "limit_reached":
			return t("buyerErr_limit_reached", { n: event?.perBuyerLimit ?? 1 });
		case "not_your_turn":
			return lottery.refusalText(null);
		default:
			return describeError(err);
	}
}

/** An error of the page as a whole; a session that ended elsewhere sends the buyer to the login form. */
function handleError(err: unknown): void {
	const e = toErrorLike(err);
	if (e.code === "session_revoked" || e.code === "unauthenticated") {
		sessionEnded(e);
		return;
	}
	if (e.code === "network") notify({ topic: "network", kind: "error", text: () => t("err_network") });
	else {
		serverAnswered();
		notify({ topic: "other", kind: "error", text: () => describeBuyerError(e) });
	}
}

// --- logging in and out --------------------------------------------------------------------------------

async function login(): Promise<void> {
	const idInput = $input("#buyer-id");
	const codeInput = $input("#access-code");
	idInput.value = idInput.value.trim();
	codeInput.value = codeInput.value.trim();
	if (!BUYER_ID.test(idInput.value)) {
		notify({ topic: "login", kind: "error", text: () => t("buyerIdInvalid") });
		idInput.focus();
		return;
	}
	clearNotice("login", "session", "other");
	try {
		const session = await client.login(eventId, idInput.value, codeInput.value);
		serverAnswered();
		const { sessionToken: _token, ...kept } = session;
		sessionStorage.setItem(SESSION_KEY, JSON.stringify(kept));
		codeInput.value = "";
		await enter();
	} catch (err) {
		const e = toErrorLike(err);
		if (e.code === "network") handleError(e);
		else {
			serverAnswered();
			notify({ topic: "login", kind: "error", text: () => describeBuyerError(e) });
		}
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

/** The session is over (logout, or revoked elsewhere): nothing said about it stays on screen. */
function forget(): void {
	sessionStorage.removeItem(SESSION_KEY);
	client.session = null;
	entered = false;
	feed?.stop();
	feed = null;
	liveState = null;
	stopPolling();
	// Browsing goes on without a session: the public catalogue, polled.
	if (event) startPolling();
	holds = [];
	selected = null;
	grid.deselect();
	refusals.clear();
	cooldownUntil = 0;
	pendingCancel = null;
	if (cancelDialog.open) cancelDialog.close();
	notify(null);
	renderLive();
	holdsChanged();
	layout();
	wishes.clear();
	void lottery.signedInChanged();
}

/** A login elsewhere (or an expired session): back to the login form, saying why. */
function sessionEnded(err: ErrorLike): void {
	forget();
	notify({ topic: "session", kind: "error", text: () => describeBuyerError(err) });
}

/** Which panels show: none for an unknown event; the login form or the sale. */
function layout(): void {
	const known = event !== null && !eventMissing;
	const inside = known && entered && client.session !== null;
	$("#login-panel").hidden = !known || inside;
	// The catalogue is public (issue 13): browsing needs no login.
	for (const id of ["#grid-panel", "#select-panel"]) $(id).hidden = !known;
	for (const id of ["#holds-panel", "#logout"]) $(id).hidden = !inside;
	renderWho();
}

function renderWho(): void {
	const session = client.session;
	$("#who").textContent = session && entered ? t("loggedInAs", { buyer: session.buyerId }) : "";
}

/** Logged in: the grid, its live feed and the buyer's holds. */
async function enter(): Promise<void> {
	if (!client.session) return;
	try {
		await loadHolds();
		await loadListings();
	} catch (err) {
		handleError(err);
		return;
	}
	entered = true;
	layout();
	renderSelected();
	void lottery.signedInChanged().then(() => wishes.load());
	feed?.stop();
	feed = new LiveFeed(async () => wsUrl(`/api/events/${encodeURIComponent(eventId)}/live`), {
		snapshot: (snap) => {
			stopPolling();
			serverAnswered();
			for (const l of snap.listings) grid.update(l.id, l.available, l.status);
			for (const id of wishes.ids()) wishes.unitChanged(id);
			renderSelected();
		},
		listing: (l) => {
			grid.update(l.id, l.available, l.status);
			wishes.unitChanged(l.id);
			if (l.status === "available") forgetRefusal(l.id, "sold_out");
			if (selected?.id === l.id) renderSelected();
			// One of mine changed (confirmed or released by staff, expired): "my holds" follows.
			if (holds.some((hold) => hold.listingId === l.id)) void followMyHold(l.id).catch(handleError);
		},
		announcement: (frame) => announcementPushed(frame.announcement),
		state: (state) => {
			liveState = state;
			renderLive();
			if (state === "down") {
				startPolling();
				// A socket refused at once may be a session revoked while it was down: ask.
				void loadHolds().catch(handleError);
			}
		},
		closed: (_code, reason) => {
			if (reason === "session_revoked") {
				sessionEnded({ code: "session_revoked", message: reason, retryAfter: null });
			}
		},
	});
	feed.start();
}

function renderLive(): void {
	say($("#live-state"), liveState === null ? "" : liveState === "open" ? t("liveOn") : t("livePolling"));
}

async function loadListings(): Promise<void> {
	const { listings } = await client.getListings(eventId);
	serverAnswered();
	if (grid.all().length === 0) {
		grid.render(listings.map((l) => ({ ...l, status: initialStatus(l) })));
		filters.setUnits(listings);
		applyFilter(filters.state());
		// The holds were listed before the catalogue gave their units a name.
		holdsChanged();
		return;
	}
	// Polling (live feed down): the public list knows availability, not held vs sold.
	for (const l of listings) {
		const known = grid.get(l.id);
		const status = l.available > 0 ? "available" : known?.status === "sold" ? "sold" : "held";
		grid.update(l.id, l.available, status);
		if (status === "available") forgetRefusal(l.id, "sold_out");
	}
	renderSelected();
}

function startPolling(): void {
	// The buyer's own holds too: that is how the page hears of a session ended elsewhere and of its
	// holds' changes while the live feed is off.
	poll ??= setInterval(() => {
		void loadListings().catch(handleError);
		void loadHolds().catch(handleError);
	}, POLL_MS);
}

function stopPolling(): void {
	if (poll) clearInterval(poll);
	poll = null;
}

// --- units: their names, the grid's cells, the claim panel -----------------------------------------

const labelOf = (listingId: string) => unitLabelOf(listingId, (id) => grid.get(id));

/** The buyer's latest hold of a listing ("my holds" come newest first). */
function latestHold(listingId: string): Hold | undefined {
	return holds.find((hold) => hold.listingId === listingId);
}

function mineStatus(listingId: string): "held" | "confirmed" | null {
	const status = latestHold(listingId)?.status;
	return status === "held" || status === "confirmed" ? status : null;
}

function activeHolds(): number {
	return holds.filter((hold) => hold.status === "held" || hold.status === "confirmed").length;
}

function unitStatusText(unit: GridUnit): string {
	const mine = mineStatus(unit.id);
	if (mine) return t(mine === "held" ? "buyerUnit_mine" : "buyerUnit_mineConfirmed");
	return t(`buyerUnit_${unit.status}`);
}

/** A cell as the buyer sees it: one name ("1号楼 1502"), and their own units marked "我的" in words. */
function cellText(unit: GridUnit): CellText {
	const mine = mineStatus(unit.id) !== null;
	const vars = {
		unit: unitLabel(unit),
		status: unitStatusText(unit),
		layout: unit.layout,
		area: unit.areaM2,
		price: formatMoney(unit.priceCents, event?.currency ?? "CNY"),
		tag: t("mineTag"),
	};
	return mine
		? { label: t("buyerUnitAriaMine", vars), tag: t("mineTag"), className: "unit--mine" }
		: { label: t("buyerUnitAria", vars) };
}

function select(unit: GridUnit): void {
	selected = unit;
	clearNoticeAbout(unit.id);
	clearNotice("other");
	renderSelected();
	// Straight to the claim button when it can claim; otherwise (also while browsing without a
	// session) focus stays in the grid.
	const button = $button("#claim");
	if (!button.disabled && loggedIn()) button.focus();
}

function renderSelected(): void {
	const root = $("#selected");
	if (!selected) {
		root.replaceChildren(h("p", { class: "muted", text: t("selectHint") }));
		renderClaim();
		return;
	}
	const u = selected;
	const mine = mineStatus(u.id);
	root.replaceChildren(
		unitDetails(u, event?.currency ?? "CNY"),
		h("p", { class: `status status--${mine ? "mine" : u.status}`, text: unitStatusText(u) }),
	);
	wishes.renderStar();
	renderClaim();
}

/** Whether a refusal still describes the unit: taken while it is not free, the limit while it is full. */
function refusalHolds(unit: GridUnit, refusal: Refusal): boolean {
	switch (refusal.error.code) {
		case "sold_out":
			return unit.status !== "available";
		case "limit_reached":
			return activeHolds() >= (event?.perBuyerLimit ?? 1);
		case "event_not_open":
			// The button says what is true (not yet, paused, ended).
			return false;
		case "not_your_turn":
			// Said while the buyer's entry time is still ahead; then the button takes over.
			return lottery.refusalStands();
		default:
			return saleState() === "open";
	}
}

function forgetRefusal(listingId: string, code?: string): void {
	if (code === undefined || refusals.get(listingId)?.error.code === code) refusals.delete(listingId);
}

interface Outcome {
	kind: "won" | "lost" | "error" | "info";
	text: string;
	/** The hold's end (server clock), for the time-left line. */
	expiresAt?: number | undefined;
}

/** What the claim panel says about the selected unit: the buyer's hold of it, or their last attempt. */
function outcome(unit: GridUnit): Outcome | null {
	const label = unitLabel(unit);
	const hold = latestHold(unit.id);
	if (hold?.status === "held") {
		return {
			kind: "won",
			text: t("claimWon", { unit: label }),
			expiresAt: hold.expiresAt ? Date.parse(hold.expiresAt) : undefined,
		};
	}
	if (hold?.status === "confirmed") return { kind: "won", text: t("claimConfirmed", { unit: label }) };
	const refusal = refusals.get(unit.id);
	if (refusal && refusalHolds(unit, refusal)) {
		const code = refusal.error.code;
		return {
			kind: code === "sold_out" || code === "limit_reached" ? "lost" : "error",
			text: describeBuyerError(refusal.error, label),
		};
	}
	if (hold && (hold.status === "released" || hold.status === "expired" || hold.status === "cancelled")) {
		return { kind: "info", text: t(`holdEnded_${hold.status}`, { unit: label }) };
	}
	return null;
}

let shownOutcome = "";

/** The claim button and the outcome line; only what changed is written (the line is a live region). */
function renderClaim(): void {
	const button = $button("#claim");
	const state = saleState();
	const unit = selected;
	const waitMs = cooldownUntil - Date.now();
	const mine = unit ? mineStatus(unit.id) : null;
	let label: string;
	let enabled = false;
	if (claimBusy) label = t("claiming");
	else if (mine) label = t(mine === "held" ? "claimBtnMine" : "claimBtnConfirmed");
	else if (unit?.status === "sold") label = t("claimBtnSold");
	else if (unit?.status === "held") label = t("claimBtnTaken");
	else if (state === "paused") label = t("claimBtnPaused");
	else if (state === "closed") label = t("claimBtnClosed");
	else if (!loggedIn()) {
		// Browsing without a session: the button leads to the login form.
		label = t("browseLoginToClaim");
		enabled = event !== null;
	} else if (state === "scheduled") label = t("claimNotYet");
	else if (state !== "open") label = t("claim");
	else if (lottery.claimGate()) label = lottery.claimGate() ?? "";
	else if (waitMs > 0) label = t("claimWait", { n: Math.ceil(waitMs / 1000) });
	else {
		label = t("claim");
		enabled = unit !== null;
	}
	if (button.textContent !== label) button.textContent = label;
	button.disabled = !enabled;
	button.dataset.state = mine ? "mine" : "";
	const needs = claimNeedsText({ loggedIn: loggedIn(), state, startsAt: event?.startsAt ?? null });
	const needsLine = $("#claim-needs");
	if (needsLine.textContent !== needs) needsLine.textContent = needs;

	// Lost a unit of the wish list: one tap to the next wish still free.
	wishes.renderNext(unit && refusals.get(unit.id)?.error.code === "sold_out" && !claimBusy ? unit : null);

	const result = $("#claim-result");
	const now = unit ? outcome(unit) : null;
	const key = now ? `${now.kind}|${now.text}|${now.expiresAt ?? ""}` : "";
	if (key === shownOutcome) return;
	shownOutcome = key;
	result.dataset.kind = now?.kind ?? "";
	if (!now) {
		$("#claim-outcome").textContent = "";
		$("#claim-detail").replaceChildren();
		return;
	}
	$("#claim-outcome").textContent = now.text;
	$("#claim-detail").replaceChildren(
		...(now.expiresAt !== undefined
			? [
					h("strong", {
						class: "time-left",
						"data-expires": String(now.expiresAt),
						text: t("holdExpiresIn", { time: formatCountdown(now.expiresAt - serverNow()) }),
					}),
					" ",
					h("span", { text: t("claimWonNext") }),
				]
			: []),
	);
}

function loggedIn(): boolean {
	return entered && client.session !== null;
}

async function claim(): Promise<void> {
	if (!loggedIn()) {
		const id = $input("#buyer-id");
		id.scrollIntoView({ block: "center" });
		id.focus();
		return;
	}
	const unit = selected;
	if (!unit || claimBusy || Date.now() < cooldownUntil) return;
	claimBusy = true;
	refusals.delete(unit.id);
	renderClaim();
	let hold: Hold | null = null;
	let refused: ErrorLike | null = null;
	try {
		hold = await client.claim(unit.id);
	} catch (err) {
		refused = toErrorLike(err);
		if (refused.code === "not_your_turn") lottery.refused(err);
	}
	// The answer is in: the button stops saying "sending" before anything else is asked.
	claimBusy = false;
	cooldownUntil = Date.now() + Math.max(CLAIM_COOLDOWN_MS, (refused?.retryAfter ?? 0) * 1000);
	if (hold) {
		serverAnswered();
		const won = hold;
		holds = [won, ...holds.filter((other) => other.holdId !== won.holdId)];
		clearNoticeAbout(unit.id);
		holdsChanged();
		void loadHolds().catch(() => undefined);
		return;
	}
	if (!refused) return;
	if (refused.code === "session_revoked" || refused.code === "unauthenticated") {
		sessionEnded(refused);
		return;
	}
	if (refused.code !== "network") serverAnswered();
	if (refused.code === "sold_out") grid.update(unit.id, 0, unit.status === "sold" ? "sold" : "held");
	refusals.set(unit.id, { error: refused });
	renderSelected();
}

// --- my holds ------------------------------------------------------------------------------------------

async function loadHolds(): Promise<void> {
	if (!client.session) return;
	const fresh = (await client.myHolds()).holds;
	serverAnswered();
	const before = new Map(holds.map((hold) => [hold.holdId, hold.status]));
	for (const hold of fresh) {
		if (before.get(hold.holdId) === "held" && hold.status !== "held") holdEnded(hold);
	}
	holds = fresh;
	holdsChanged();
}

/**
 * The live feed said a unit of mine changed. The feed can be ahead of "my holds": the buyer's object
 * hears of a staff release or confirmation from the unit's object a moment after the hub does. So
 * while the feed shows the unit no longer held and "my holds" still says held, ask again a few times.
 */
async function followMyHold(listingId: string): Promise<void> {
	for (let attempt = 0; attempt < 5; attempt++) {
		await loadHolds();
		const unit = grid.get(listingId);
		if (mineStatus(listingId) !== "held" || !unit || unit.status === "held") return;
		await new Promise((resolve) => setTimeout(resolve, 400 * (attempt + 1)));
	}
}

/** A hold of mine ended or was confirmed while the page watched: said where the buyer will see it. */
function holdEnded(hold: Hold): void {
	refusals.delete(hold.listingId);
	if (pendingCancel?.holdId === hold.holdId && cancelDialog.open) cancelDialog.close();
	// The claim panel says it for the selected unit; the top message for any other.
	if (selected?.id === hold.listingId) return;
	const status = hold.status;
	if (status === "confirmed" || status === "released" || status === "expired" || status === "cancelled") {
		notify({
			topic: "holds",
			kind: "info",
			listingId: hold.listingId,
			text: () =>
				status === "confirmed"
					? t("claimConfirmed", { unit: labelOf(hold.listingId) })
					: t(`holdEnded_${status}`, { unit: labelOf(hold.listingId) }),
		});
	}
}

function holdsChanged(): void {
	renderHolds();
	grid.repaint();
	renderSelected();
}

function renderHolds(): void {
	renderCertificates($("#certificate"), {
		holds,
		find: (id) => grid.get(id),
		eventName: event?.name ?? "",
		currency: event?.currency ?? "CNY",
		buyerId: client.session?.buyerId ?? "",
		buyerName: client.session?.name,
	});
	const root = $("#holds");
	if (holds.length === 0) {
		root.replaceChildren(h("li", { class: "muted", text: t("holdsEmpty") }));
		return;
	}
	root.replaceChildren(
		...holds.map((hold) => {
			const label = labelOf(hold.listingId);
			const item = h(
				"li",
				{ "data-hold": hold.holdId, "data-status": hold.status },
				h("strong", { text: label }),
				h("span", { class: "hold-status", text: t(`holdStatus_${hold.status}` as MessageKey) }),
			);
			// A hold the system made from the wish list (API.md: `"auto": true`).
			if (hold.auto) item.append(h("span", { class: "hold-auto", text: t("holdAuto") }));
			const why = holdWhy(hold.status);
			if (why) item.append(h("span", { class: "hold-why", text: why }));
			if (hold.status === "held" && hold.expiresAt) {
				item.append(
					h("span", {
						class: "countdown",
						"data-expires": String(Date.parse(hold.expiresAt)),
						title: formatTime(hold.expiresAt),
					}),
				);
				const cancel = h("button", {
					type: "button",
					class: "danger",
					text: t("cancelHold"),
					"aria-label": `${t("cancelHold")} ${label}`,
				});
				cancel.addEventListener("click", () => askCancel(hold));
				item.append(cancel);
			}
			return item;
		}),
	);
	tick();
}

function holdWhy(status: string): string | null {
	switch (status) {
		case "confirmed":
		case "released":
		case "expired":
		case "cancelled":
			return t(`holdWhy_${status}`);
		default:
			return null;
	}
}

/** Giving a unit up cannot be undone: a dialog asks first, with "keep it" as the default. */
function askCancel(hold: Hold): void {
	pendingCancel = hold;
	$("#cancel-title").textContent = t("cancelConfirmTitle", { unit: labelOf(hold.listingId) });
	cancelDialog.returnValue = "";
	cancelDialog.showModal();
}

async function cancelHold(hold: Hold): Promise<void> {
	try {
		await client.cancel(hold.holdId);
		serverAnswered();
		clearNotice("other");
		await loadHolds();
	} catch (err) {
		handleError(err);
	}
}
