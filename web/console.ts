// The operator console: create and edit the event, open/pause/close it, import units and buyers from
// CSV (checked whole before anything is sent), flip the degradation switches, read the notification
// outbox and export the orders. Authenticated by the admin token typed in here (sessionStorage).
// What it reads are the client's types (client/api-types.ts), the API's own description of its bodies.
import type { AdminEvent, EventCounts, OutboxNotification, Switches } from "../client/api-types";
import { adminApi, adminToken, allOrders, currentEventId, setAdminToken, setEventId } from "./shared/admin-api";
import { BUYER_COLUMNS, type CsvProblem, checkCsv, LISTING_COLUMNS, lineOfRow, toCsvLine } from "./shared/csv";
import { $, $input, download, h, say } from "./shared/dom";
import { describeError, toErrorLike } from "./shared/errors";
import { formatTime, initI18n, onLangChange, t } from "./shared/i18n";
import { MESSAGES, type MessageKey } from "./shared/messages";

const message = $("#message");
const eventPath = () => `/api/admin/events/${encodeURIComponent(currentEventId())}`;
let summary: { event: AdminEvent; counts: EventCounts } | null = null;

initI18n();
onLangChange(() => {
	showSummary();
	void loadOutbox();
});

$input("#event-id").value = currentEventId();
$input("#admin-token").value = adminToken();
$("#connect-form").addEventListener("submit", (e) => {
	e.preventDefault();
	setEventId($input("#event-id").value.trim());
	setAdminToken($input("#admin-token").value.trim());
	void loadAll();
});
$("#event-form").addEventListener("submit", (e) => {
	e.preventDefault();
	void run(saveEvent);
});
for (const button of document.querySelectorAll<HTMLButtonElement>("#status-buttons button")) {
	button.addEventListener("click", () => void run(() => setStatus(button.dataset.status ?? "auto")));
}
$("#flags-form").addEventListener("submit", (e) => {
	e.preventDefault();
	void run(saveFlags);
});
$("#export-orders").addEventListener("click", () => void run(exportOrders));
$("#refresh-outbox").addEventListener("click", () => void run(loadOutbox));
wireImport("#import-listings", "#file-listings", "listings", LISTING_COLUMNS);
wireImport("#import-buyers", "#file-buyers", "buyers", BUYER_COLUMNS);
if (adminToken()) void loadAll();

/** Runs an action, reporting its error (or nothing) in the page's alert region. */
async function run(action: () => Promise<void>): Promise<void> {
	say(message, "");
	if (!adminToken()) {
		say(message, t("needToken"), "error");
		return;
	}
	try {
		await action();
	} catch (err) {
		say(message, describeError(err), "error");
	}
}

async function loadAll(): Promise<void> {
	await run(async () => {
		await loadEvent();
		// A new event has no flags or outbox yet: the form waits to be filled in and saved.
		if (summary) await Promise.all([loadFlags(), loadOutbox()]);
	});
}

async function loadEvent(): Promise<void> {
	try {
		summary = await adminApi("GET", eventPath());
	} catch (err) {
		// A new event: the form stays empty for the operator to fill in.
		if (toErrorLike(err).code !== "not_found") throw err;
		summary = null;
	}
	showSummary();
	if (!summary) return;
	const ev = summary.event;
	$input("#ev-name").value = ev.name;
	$input("#ev-starts").value = toLocalInput(ev.startsAt);
	$input("#ev-ends").value = toLocalInput(ev.endsAt);
	$input("#ev-hold").value = String(ev.holdSeconds);
	$input("#ev-limit").value = String(ev.perBuyerLimit);
	$input("#ev-currency").value = ev.currency;
}

function showSummary(): void {
	const el = $("#event-summary");
	if (!summary) {
		el.textContent = "";
		return;
	}
	const { event, counts } = summary;
	el.textContent = `${t("eventStatus", { status: stateName(event.status), mode: stateName(event.statusMode) })} · ${t("eventCounts", { ...counts })}`;
}

async function saveEvent(): Promise<void> {
	await adminApi("PUT", eventPath(), {
		name: $input("#ev-name").value.trim(),
		startsAt: new Date($input("#ev-starts").value).toISOString(),
		endsAt: new Date($input("#ev-ends").value).toISOString(),
		holdSeconds: Number($input("#ev-hold").value),
		perBuyerLimit: Number($input("#ev-limit").value),
		currency: $input("#ev-currency").value.trim(),
	});
	await loadEvent();
	say(message, t("saved"));
}

async function setStatus(status: string): Promise<void> {
	await adminApi("POST", `${eventPath()}/status`, { status });
	await loadEvent();
}

async function loadFlags(): Promise<void> {
	const { flags } = await adminApi<{ flags: Switches }>("GET", `${eventPath()}/flags`);
	$input("#flag-claims").checked = flags.claimsPaused;
	$input("#flag-sms").checked = flags.smsOff;
	$input("#flag-live").checked = flags.buyerLiveOff;
}

async function saveFlags(): Promise<void> {
	await adminApi("PUT", `${eventPath()}/flags`, {
		claimsPaused: $input("#flag-claims").checked,
		smsOff: $input("#flag-sms").checked,
		buyerLiveOff: $input("#flag-live").checked,
	} satisfies Switches);
	await loadFlags();
	say(message, t("saved"));
}

async function exportOrders(): Promise<void> {
	const orders = await allOrders(currentEventId());
	const lines = [
		toCsvLine(["holdId", "listingId", "buyerId", "status", "priceCents", "createdAt", "updatedAt"]),
		...orders.map((o) =>
			toCsvLine([o.holdId, o.listingId, o.buyerId, o.status, o.priceCents, o.createdAt, o.updatedAt]),
		),
	];
	download(`orders-${currentEventId()}.csv`, `${lines.join("\r\n")}\r\n`);
	say(message, t("exported", { n: orders.length }));
}

async function loadOutbox(): Promise<void> {
	if (!adminToken()) return;
	const { notifications } = await adminApi<{ notifications: OutboxNotification[] }>(
		"GET",
		`${eventPath()}/notifications?limit=200`,
	);
	const root = $("#outbox");
	if (notifications.length === 0) {
		root.replaceChildren(h("p", { class: "muted", text: t("outboxEmpty") }));
		return;
	}
	const head = ["colTime", "colKind", "colBuyer", "colPhone", "colBody", "colProvider"] as const;
	root.replaceChildren(
		h(
			"table",
			{ class: "data" },
			h("thead", {}, h("tr", {}, ...head.map((k) => h("th", { scope: "col", text: t(k) })))),
			h(
				"tbody",
				{},
				...notifications.map((n) =>
					h(
						"tr",
						{},
						...[formatTime(n.createdAt), n.kind, n.buyerId, n.phone ?? "", n.body, n.provider].map((v) =>
							h("td", { text: v }),
						),
					),
				),
			),
		),
	);
}

/** CSV import: check the whole file, report every bad row by line, send only a clean file. */
function wireImport(
	formSel: string,
	fileSel: string,
	kind: "listings" | "buyers",
	columns: typeof LISTING_COLUMNS,
): void {
	const form = $(formSel);
	const result = form.querySelector<HTMLElement>(".result") ?? form;
	form.addEventListener("submit", (e) => {
		e.preventDefault();
		void run(async () => {
			const file = $input(fileSel).files?.[0];
			if (!file) {
				result.replaceChildren(h("p", { text: t("chooseFile") }));
				return;
			}
			const source = await file.text();
			const checked = checkCsv(source, columns);
			if (!checked.ok) {
				result.replaceChildren(...problemList(checked.problems));
				return;
			}
			try {
				const answer = await adminApi<{ buyers?: { id: string; accessCode: string | null }[] }>(
					"PUT",
					`${eventPath()}/${kind}`,
					{ [kind]: checked.rows },
				);
				const done = h("p", { text: t("importOk", { n: checked.rows.length }) });
				result.replaceChildren(done);
				if (answer.buyers) result.append(codesButton(answer.buyers));
				await loadEvent();
			} catch (err) {
				// The server names the first bad field as `<kind>.<row>.<field>`: point at its line.
				const e2 = toErrorLike(err);
				const match = e2.field?.match(new RegExp(`^${kind}\\.(\\d+)\\.?(.*)$`));
				if (e2.code === "invalid_request" && match) {
					const line = lineOfRow(source, Number(match[1]));
					result.replaceChildren(...problemList([{ line, key: "csv_server", vars: { message: e2.message } }]));
				} else {
					throw err;
				}
			}
		});
	});
}

function problemList(problems: CsvProblem[]): HTMLElement[] {
	return [
		h("p", { text: t("importRejected", { n: problems.length }) }),
		h(
			"ol",
			{ class: "problems" },
			...problems.map((p) => h("li", { text: t("importLine", { line: p.line, message: problemText(p) }) })),
		),
	];
}

function problemText(p: CsvProblem): string {
	const vars = { ...p.vars };
	// A bad value names the rule it broke; the rule is a sentence of its own.
	if (typeof vars.rule === "string") vars.rule = t(vars.rule as MessageKey, vars);
	return t(p.key, vars);
}

function codesButton(buyers: { id: string; accessCode: string | null }[]): HTMLButtonElement {
	const button = h("button", { type: "button", text: t("downloadCodes") });
	button.addEventListener("click", () => {
		const lines = [toCsvLine(["id", "accessCode"]), ...buyers.map((b) => toCsvLine([b.id, b.accessCode]))];
		download(`access-codes-${currentEventId()}.csv`, `${lines.join("\r\n")}\r\n`);
	});
	return button;
}

function stateName(state: string): string {
	const key = `state_${state}` as MessageKey;
	return key in MESSAGES.zh ? t(key) : state;
}

/** An ISO time as the value of a datetime-local input (the operator's local time). */
function toLocalInput(iso: string): string {
	const d = new Date(iso);
	const pad = (n: number) => String(n).padStart(2, "0");
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
