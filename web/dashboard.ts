// The sales dashboard: the live unit grid coloured by status, counters, charts of claims per second
// and rejections by reason, and confirm/release of a hold from the grid. Staff authenticate with the
// admin token (kept in sessionStorage), trade it for a one-time live ticket per socket connection.
import type { LiveTicket, PublicEvent } from "../client/api-types";
import type { StatsFrame } from "../client/live-frames";
import { adminApi, adminToken, allOrders, currentEventId, setAdminToken, setEventId } from "./shared/admin-api";
import { SeriesChart } from "./shared/charts";
import { $, $input, h, say } from "./shared/dom";
import { describeError } from "./shared/errors";
import { type GridUnit, initialStatus, UnitGrid } from "./shared/grid";
import { formatMoney, formatTime, initI18n, onLangChange, t } from "./shared/i18n";
import { LiveFeed, wsUrl } from "./shared/live";
import { type MessageKey, reasonKey } from "./shared/messages";

let event: PublicEvent | null = null;
let feed: LiveFeed | null = null;
let selected: GridUnit | null = null;
let lastRejected: Record<string, number> | null = null;

const message = $("#message");
const grid = new UnitGrid(
	$("#grid"),
	() => event?.currency ?? "CNY",
	(unit) => void showHold(unit),
);
const claimsChart = new SeriesChart($("#chart-claims"), () => t("claimsPerSecond"));
const rejectionsChart = new SeriesChart($("#chart-rejections"), (code) => {
	const key = reasonKey(code);
	return key ? t(key) : code;
});

initI18n();
onLangChange(() => {
	grid.render(grid.all());
	claimsChart.relabel();
	rejectionsChart.relabel();
	if (selected) void showHold(selected);
});

$input("#event-id").value = currentEventId();
$input("#admin-token").value = adminToken();
$("#connect-form").addEventListener("submit", (e) => {
	e.preventDefault();
	void connect();
});
if (adminToken()) void connect();

async function connect(): Promise<void> {
	const eventId = $input("#event-id").value.trim();
	setEventId(eventId);
	setAdminToken($input("#admin-token").value.trim());
	say(message, "");
	feed?.stop();
	try {
		// An admin call first: a wrong token is reported here rather than as a failing socket.
		await adminApi("GET", `/api/admin/events/${encodeURIComponent(eventId)}`);
		const [ev, catalogue] = await Promise.all([
			fetch(`/api/events/${encodeURIComponent(eventId)}`).then((r) => r.json() as Promise<{ event: PublicEvent }>),
			fetch(`/api/events/${encodeURIComponent(eventId)}/listings`).then(
				(r) => r.json() as Promise<{ listings: GridUnit[] }>,
			),
		]);
		event = ev.event;
		grid.render(catalogue.listings.map((l) => ({ ...l, status: initialStatus(l) })));
	} catch (err) {
		say(message, describeError(err), "error");
		return;
	}
	feed = new LiveFeed(
		async () => {
			const { ticket } = await adminApi<LiveTicket>(
				"POST",
				`/api/admin/events/${encodeURIComponent(eventId)}/live-ticket`,
			);
			return wsUrl(`/api/events/${encodeURIComponent(eventId)}/live?ticket=${encodeURIComponent(ticket)}`);
		},
		{
			snapshot: (snap) => {
				for (const l of snap.listings) grid.update(l.id, l.available, l.status);
				counters(snap.stats);
			},
			listing: (l) => {
				const unit = grid.update(l.id, l.available, l.status);
				if (unit && selected?.id === unit.id) void showHold(unit);
			},
			stats: (s) => {
				counters(s);
				charts(s);
			},
			state: (state) => say($("#live-state"), state === "open" ? t("liveOn") : t("liveOff")),
		},
	);
	feed.start();
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
	// Rejections are running totals; the chart shows what each update added.
	const delta: Record<string, number> = {};
	for (const [code, n] of Object.entries(s.rejected)) delta[code] = n - (lastRejected?.[code] ?? n);
	lastRejected = s.rejected;
	rejectionsChart.push(now, delta);
}

/** The selected unit with its current hold (from D1 orders) and the staff actions on it. */
async function showHold(unit: GridUnit): Promise<void> {
	selected = unit;
	const panel = $("#hold-panel");
	const facts = h(
		"dl",
		{},
		h("dt", { text: t("layout") }),
		h("dd", { text: `${unit.building} ${unit.floor}${unit.unit} · ${unit.layout} · ${unit.areaM2}㎡` }),
		h("dt", { text: t("price") }),
		h("dd", { text: formatMoney(unit.priceCents, event?.currency ?? "CNY") }),
	);
	if (unit.status === "available") {
		panel.replaceChildren(facts, h("p", { class: "muted", text: t("noActiveHold") }));
		return;
	}
	let orders: Awaited<ReturnType<typeof allOrders>>;
	try {
		orders = await allOrders(currentEventId());
	} catch (err) {
		say($("#hold-message"), describeError(err), "error");
		return;
	}
	if (selected?.id !== unit.id) return;
	const active = orders.filter((o) => o.listingId === unit.id && (o.status === "held" || o.status === "confirmed"));
	if (active.length === 0) {
		panel.replaceChildren(facts, h("p", { class: "muted", text: t("holdLookupPending") }));
		return;
	}
	panel.replaceChildren(facts, ...active.map((o) => holdBlock(unit, o)));
}

function holdBlock(unit: GridUnit, o: { holdId: string; buyerId: string; status: string; createdAt: string }) {
	const act = (action: "confirm" | "release") => async () => {
		try {
			await adminApi("POST", `/api/admin/holds/${encodeURIComponent(o.holdId)}/${action}`);
			say($("#hold-message"), t(action === "confirm" ? "confirmedMsg" : "releasedMsg", { unit: unit.id }));
		} catch (err) {
			say($("#hold-message"), describeError(err), "error");
		}
	};
	const block = h(
		"div",
		{ class: "hold", "data-hold": o.holdId },
		h(
			"p",
			{},
			`${t("holdBuyer")}: ${o.buyerId} · ${t(`holdStatus_${o.status}` as MessageKey)} · ${t("holdCreated")}: ${formatTime(o.createdAt)}`,
		),
	);
	if (o.status === "held") {
		const confirm = h("button", { type: "button", class: "primary", text: t("confirm") });
		const release = h("button", { type: "button", text: t("release") });
		confirm.addEventListener("click", () => void act("confirm")());
		release.addEventListener("click", () => void act("release")());
		block.append(h("div", { class: "row" }, confirm, release));
	}
	return block;
}
