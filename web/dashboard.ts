// The sales dashboard: the live unit grid coloured by status, counters, charts of claims per second
// and rejections by reason, and confirm/release of a hold from the grid. Staff sign in with their own
// token (web/shared/staff-session.ts): viewers watch, sales and operators may also confirm and
// release, each after a question naming the unit and the buyer. The token is traded for a one-time
// live ticket per socket connection.
import type { LiveTicket, PublicEvent } from "../client/api-types";
import type { StatsFrame } from "../client/live-frames";
import { BatchAndHeat } from "./dashboard/batch-and-heat";
import { BuyerDirectory, buyerContact } from "./dashboard/buyer-directory";
import { SalesSheet } from "./dashboard/sales-sheet";
import { adminApi, allOrders, currentEventId, eventPath, mayAct } from "./shared/admin-api";
import { SeriesChart } from "./shared/charts";
import { confirmAction } from "./shared/confirm-dialog";
import { $, $input, h, say } from "./shared/dom";
import { describeError, toErrorLike } from "./shared/errors";
import { type GridUnit, initialStatus, UnitGrid } from "./shared/grid";
import { formatCountdown, formatMoney, formatTime, initI18n, onLangChange, t } from "./shared/i18n";
import { LiveFeed, wsUrl } from "./shared/live";
import { type MessageKey, reasonKey } from "./shared/messages";
import { markRehearsal } from "./shared/rehearsal";
import { StaffSession } from "./shared/staff-session";
import { rejectionDelta } from "./shared/stats-delta";
import { unitLabel } from "./shared/units";

/** A hold as the panel shows it: an order from D1, or the answer of this page's own confirm/release. */
interface ShownHold {
	holdId: string;
	buyerId: string;
	status: string;
	createdAt: string;
}

let event: PublicEvent | null = null;
/** The event the page is connected to (its grid, its feed): the one every action here uses. */
let eventId: string | null = null;
let feed: LiveFeed | null = null;
let selected: GridUnit | null = null;
let lastRejected: Record<string, number> | null = null;
let liveState: "open" | "down" | null = null;
/**
 * What this page's own confirm or release answered, by hold: D1's orders reach it a second or so
 * later, and until then a panel read from them would offer the buttons again (issue 13).
 */
const settled = new Map<string, string>();

const message = $("#message");
/** Names and phones of the event's buyers (issue 13), for the hold panel and the sales sheet. */
const directory = new BuyerDirectory();
const sheet = new SalesSheet(directory);
const grid = new UnitGrid(
	$("#grid"),
	() => event?.currency ?? "CNY",
	(unit) => {
		openSheet();
		void showHold(unit);
	},
	// One Tab stop for the whole grid (issue 13): arrows move within it.
	{ rovingTabIndex: true },
);
const claimsChart = new SeriesChart($("#chart-claims"), () => t("claimsPerSecond"));
const rejectionsChart = new SeriesChart($("#chart-rejections"), (code) => {
	const key = reasonKey(code);
	return key ? t(key) : code;
});

// Lottery events (issue 12): the batch entering now and the wish heat map.
const lotteryDash = new BatchAndHeat({
	label: (id) => {
		const unit = grid.get(id);
		return unit ? unitLabel(unit) : id;
	},
});

initI18n();
const session = new StaffSession({
	signedIn: () => void connect(),
	signedOut: (why) => {
		feed?.stop();
		feed = null;
		eventId = null;
		selected = null;
		directory.reset();
		sheet.stop();
		lotteryDash.stop();
		closeSheet();
		showLiveState(null);
		say(message, why === "revoked" ? t("signedOutRevoked") : "", why === "revoked" ? "error" : "info");
	},
});
onLangChange(() => {
	grid.render(grid.all());
	claimsChart.relabel();
	rejectionsChart.relabel();
	sheet.redraw();
	showLiveState(liveState);
	lotteryDash.relabel();
	markRehearsal(eventId ? event : null);
	if (selected) void showHold(selected);
});

$input("#event-id").value = currentEventId();
$("#connect-form").addEventListener("submit", (e) => {
	e.preventDefault();
	void signInAndConnect();
});
$("#close-sheet").addEventListener("click", closeSheet);
document.addEventListener("keydown", (e) => {
	if (e.key === "Escape" && document.body.dataset.sheet === "open" && !document.querySelector("dialog[open]")) {
		closeSheet();
	}
});
setInterval(tickTimeLeft, 1_000);
void session.resume().catch((err) => say(message, describeError(err), "error"));

/** 连接: signs in first if needed, then makes the typed id the page's event and connects to it. */
function signInAndConnect(): Promise<void> {
	return session.openTypedEvent(message, connect);
}

async function connect(): Promise<void> {
	const id = currentEventId();
	$input("#event-id").value = id;
	say(message, "");
	feed?.stop();
	feed = null;
	eventId = null;
	selected = null;
	settled.clear();
	lastRejected = null;
	directory.reset();
	sheet.stop();
	lotteryDash.stop();
	closeSheet();
	try {
		// An admin call first: a wrong token or event is reported here rather than as a failing socket.
		await adminApi("GET", eventPath(id));
		const [ev, catalogue] = await Promise.all([
			fetch(`/api/events/${encodeURIComponent(id)}`).then((r) => r.json() as Promise<{ event: PublicEvent }>),
			fetch(`/api/events/${encodeURIComponent(id)}/listings`).then(
				(r) => r.json() as Promise<{ listings: GridUnit[] }>,
			),
		]);
		event = ev.event;
		eventId = id;
		markRehearsal(event);
		grid.render(catalogue.listings.map((l) => ({ ...l, status: initialStatus(l) })));
		$("#hold-panel").replaceChildren(h("p", { class: "muted", text: t("selectHint") }));
		const holdSeconds = event.holdSeconds;
		sheet.connect({ eventId: id, holdSeconds, units: () => grid.all() });
		lotteryDash.start(id);
	} catch (err) {
		if (session.who) say(message, describeError(err), "error");
		return;
	}
	feed = new LiveFeed(
		async () => {
			const { ticket } = await adminApi<LiveTicket>("POST", `${eventPath(id)}/live-ticket`);
			return wsUrl(`/api/events/${encodeURIComponent(id)}/live?ticket=${encodeURIComponent(ticket)}`);
		},
		{
			snapshot: (snap) => {
				for (const l of snap.listings) grid.update(l.id, l.available, l.status);
				counters(snap.stats);
				if (selected) void showHold(selected);
			},
			listing: (l) => {
				const unit = grid.update(l.id, l.available, l.status);
				if (unit && selected?.id === unit.id) void showHold(unit);
				sheet.changed();
			},
			stats: (s) => {
				counters(s);
				charts(s);
			},
			state: (state) => showLiveState(state),
		},
	);
	feed.start();
}

function showLiveState(state: "open" | "down" | null): void {
	liveState = state;
	say($("#live-state"), state === null ? "" : state === "open" ? t("liveOn") : t("liveOff"));
}

function counters(s: Partial<StatsFrame>): void {
	const set = (id: string, v: number | undefined) => {
		if (v !== undefined) $(id).textContent = String(v);
	};
	set("#c-sold", s.sold);
	set("#c-held", s.held);
	set("#c-available", s.available);
	set("#c-online", s.online);
	set("#c-cps", s.claimsPerSecond);
}

function charts(s: StatsFrame): void {
	const now = Date.now();
	claimsChart.push(now, { claims: s.claimsPerSecond });
	rejectionsChart.push(now, rejectionDelta(lastRejected, s.rejected));
	lastRejected = s.rejected;
}

// --- the hold panel (a bottom sheet on a phone) ------------------------------------------------------

function openSheet(): void {
	// On a phone the panel is then a sheet fixed to the bottom of the screen, over the grid the person
	// is looking at; on a wide screen it stays beside the grid, sticky (styles.css).
	document.body.dataset.sheet = "open";
}

function closeSheet(): void {
	delete document.body.dataset.sheet;
}

/** The selected unit with its current hold (from D1 orders) and the staff actions on it. */
async function showHold(unit: GridUnit): Promise<void> {
	selected = unit;
	const id = eventId;
	const panel = $("#hold-panel");
	const facts = h(
		"dl",
		{},
		h("dt", { text: t("layout") }),
		h("dd", { text: `${unitLabel(unit)} · ${unit.layout} · ${unit.areaM2}㎡` }),
		h("dt", { text: t("price") }),
		h("dd", { text: formatMoney(unit.priceCents, event?.currency ?? "CNY") }),
	);
	if (unit.status === "available" || !id) {
		panel.replaceChildren(facts, h("p", { class: "muted", text: t("noActiveHold") }));
		return;
	}
	let orders: Awaited<ReturnType<typeof allOrders>>;
	try {
		orders = await allOrders(id);
	} catch (err) {
		if (session.who) say($("#hold-message"), describeError(err), "error");
		return;
	}
	if (selected?.id !== unit.id || eventId !== id) return;
	const active = orders
		.filter((o) => o.listingId === unit.id)
		.map((o): ShownHold => ({ ...o, status: shownStatus(unit, o.holdId, o.status) }))
		.filter((o) => o.status === "held" || o.status === "confirmed");
	if (active.length === 0) {
		panel.replaceChildren(facts, h("p", { class: "muted", text: t("holdLookupPending") }));
		return;
	}
	// Who to call: a panel without the buyer's name is drawn anyway if the list cannot be read.
	await directory
		.ensure(
			id,
			active.map((o) => o.buyerId),
		)
		.catch(() => undefined);
	if (selected?.id !== unit.id || eventId !== id) return;
	panel.replaceChildren(facts, ...active.map((o) => holdBlock(unit, o)));
}

/**
 * The newest word on a hold: this page's own confirm or release, then the grid (the live feed is
 * ahead of D1), then D1's order. A unit the grid shows sold is not offered for confirming again.
 */
function shownStatus(unit: GridUnit, holdId: string, status: string): string {
	const mine = settled.get(holdId);
	if (mine) return mine;
	if (status === "held" && unit.status === "sold" && unit.stock <= 1) return "confirmed";
	return status;
}

function holdBlock(unit: GridUnit, o: ShownHold): HTMLElement {
	const label = unitLabel(unit);
	const act = (action: "confirm" | "release", button: HTMLButtonElement) => async () => {
		const ok = await confirmAction({
			text: t(action === "confirm" ? "confirmHold" : "confirmRelease", { unit: label, buyer: o.buyerId }),
			detail: t(action === "confirm" ? "confirmHoldDetail" : "confirmReleaseDetail"),
			action: button.textContent ?? "",
			danger: action === "release",
		});
		if (!ok) return;
		try {
			const { hold } = await adminApi<{ hold: { status: string } }>(
				"POST",
				`/api/admin/holds/${encodeURIComponent(o.holdId)}/${action}`,
			);
			settled.set(o.holdId, hold.status);
			say($("#hold-message"), t(action === "confirm" ? "confirmedMsg" : "releasedMsg", { unit: label }));
		} catch (err) {
			const e = toErrorLike(err);
			// Ended meanwhile (expired, released by someone else): the panel shows how it ended.
			const ended = (err as { body?: { error?: { status?: unknown } } }).body?.error?.status;
			if (e.code === "hold_not_active" && typeof ended === "string") settled.set(o.holdId, ended);
			if (session.who) say($("#hold-message"), describeError(err), "error");
		}
		if (selected) void showHold(selected);
	};
	const sold = o.status === "confirmed";
	const line = [
		sold
			? `${t(`holdStatus_${o.status}` as MessageKey)} · ${t("unitSold")}`
			: t(`holdStatus_${o.status}` as MessageKey),
		`${t("holdCreated")}: ${formatTime(o.createdAt)}`,
	].join(" · ");
	const block = h(
		"div",
		{ class: "hold", "data-hold": o.holdId, "data-status": o.status },
		h(
			"p",
			{ class: "hold-buyer" },
			`${t("holdBuyer")}: `,
			buyerContact(o.buyerId, directory.get(o.buyerId), directory.masked),
		),
		h("p", {}, line),
	);
	if (o.status === "held") {
		const expires = Date.parse(o.createdAt) + (event?.holdSeconds ?? 0) * 1000;
		const left = h("p", { class: "hold-left", "data-expires": String(expires) });
		block.append(left);
		paintTimeLeft(left);
		if (mayAct("sales")) {
			const confirm = h("button", { type: "button", class: "primary", text: t("confirm") });
			const release = h("button", { type: "button", text: t("release") });
			confirm.addEventListener("click", () => void act("confirm", confirm)());
			release.addEventListener("click", () => void act("release", release)());
			block.append(h("div", { class: "row" }, confirm, release));
		} else {
			block.append(h("p", { class: "muted", text: t("viewerReadOnly") }));
		}
	}
	return block;
}

function tickTimeLeft(): void {
	for (const el of document.querySelectorAll<HTMLElement>(".hold-left[data-expires]")) paintTimeLeft(el);
}

function paintTimeLeft(el: HTMLElement): void {
	const left = Number(el.dataset.expires) - Date.now();
	el.textContent = left > 0 ? t("holdExpiresIn", { time: formatCountdown(left) }) : t("holdOverdue");
	el.dataset.overdue = String(left <= 0);
}
