// The operator console: create and edit events, open/pause/close, import units and buyers from CSV
// (checked whole before anything is sent), flip the degradation switches, read the notification
// outbox, export the orders, manage staff accounts and show the event ledger's head. Staff sign in
// with their own token (web/shared/staff-session.ts); what needs an operator is shown to operators only.
//
// One event at a time, and one source of truth for which: the URL's ?event= (admin-api.ts). Typing an
// id and pressing 读取 makes it the page's event; every action reads currentEventId(), never an input.
// A new event is created from its own form, which refuses an id that exists (issue 13).
import type { AdminEvent, EventCounts, Listing, OutboxNotification, Switches } from "../client/api-types";
import { AnnouncementPanel } from "./console/announcement";
import { EventList } from "./console/event-list";
import { drawLockText, LotterySetup } from "./console/lottery-setup";
import { RehearsalPanel } from "./console/rehearsal";
import { toLocalInput } from "./console/time-input";
import {
	adminApi,
	allOrders,
	createStaff,
	currentEventId,
	eventPath,
	ID_PATTERN,
	ledgerExport,
	ledgerHead,
	listStaff,
	mayAct,
	revokeStaff,
	type StaffMember,
	type StaffRole,
	setEventId,
} from "./shared/admin-api";
import { confirmAction } from "./shared/confirm-dialog";
import { BUYER_COLUMNS, type CsvProblem, checkCsv, LISTING_COLUMNS, lineOfRow, toCsvLine } from "./shared/csv";
import { $, $button, $input, download, h, say } from "./shared/dom";
import { describeError, toErrorLike } from "./shared/errors";
import { formatTime, initI18n, lang, onLangChange, t } from "./shared/i18n";
import { MESSAGES, type MessageKey } from "./shared/messages";
import { ordersCsv } from "./shared/orders-csv";
import { markRehearsal } from "./shared/rehearsal";
import { roleName, StaffSession } from "./shared/staff-session";
import { decodeTextFile } from "./shared/text-file";

const LEDGER_REFRESH_MS = 5_000;

const message = $("#message");
const form = $("#event-form") as HTMLFormElement;
const formMessage = $("#event-form-message");
let summary: { event: AdminEvent; counts: EventCounts } | null = null;
let formMode: "edit" | "new" = "edit";
let ledgerTimer: ReturnType<typeof setInterval> | null = null;
let staff: StaffMember[] = [];
// issue 13: the list of events (choosing one opens it here) and the announcement to buyers.
const eventList = new EventList(currentEventId, (id) => {
	setEventId(id);
	void loadAll();
});
const announcement = new AnnouncementPanel(run, message);
// 模拟开盘: copy the page's event into a rehearsal (operators).
const rehearsal = new RehearsalPanel();

initI18n();
// Lottery events (issue 12): the form's mode and batch fields, and the draw's commit and reveal.
const lotterySetup = new LotterySetup({ eventId: currentEventId, reload: () => loadEvent() });
const session = new StaffSession({
	signedIn: () => {
		showRoleNotice();
		void loadAll();
	},
	signedOut: (why) => {
		summary = null;
		stopLedger();
		eventList.clear();
		showSummary();
		void lotterySetup.show(null);
		void rehearsal.show(null);
		showRoleNotice();
		if (why === "revoked") say(message, t("signedOutRevoked"), "error");
		else say(message, "");
	},
});
onLangChange(() => {
	showSummary();
	showFormMode();
	showRoleNotice();
	renderStaff();
	eventList.render();
	announcement.render();
	lotterySetup.render();
	rehearsal.render();
	markRehearsal(summary?.event ?? null);
	void loadOutbox().catch(() => undefined);
	void refreshLedger();
});

$input("#event-id").value = currentEventId();
$("#connect-form").addEventListener("submit", (e) => {
	e.preventDefault();
	void connect();
});
form.addEventListener("submit", (e) => {
	e.preventDefault();
	void run(formMode === "new" ? createEvent : saveEvent);
});
$("#new-event").addEventListener("click", () => showNewForm(""));
$("#cancel-new").addEventListener("click", () => {
	say(formMessage, "");
	if (summary) fillForm(summary.event);
	else showNewForm("");
});
for (const button of document.querySelectorAll<HTMLButtonElement>("#status-buttons button")) {
	button.addEventListener("click", () => void run(() => setStatus(button.dataset.status ?? "auto", button)));
}
$("#flags-form").addEventListener("submit", (e) => {
	e.preventDefault();
	void run(saveFlags);
});
$("#export-orders").addEventListener("click", () => void run(exportOrders));
$("#refresh-outbox").addEventListener("click", () => void run(loadOutbox));
$("#staff-form").addEventListener("submit", (e) => {
	e.preventDefault();
	void run(addStaff);
});
$("#ledger-refresh").addEventListener("click", () => void refreshLedger());
$("#copy-hash").addEventListener("click", () => void copyText($("#ledger-hash").dataset.hash ?? "", $("#ledger-at")));
$("#ledger-export").addEventListener("click", () => void run(downloadLedger));
wireImport("#import-listings", "#file-listings", "listings", LISTING_COLUMNS);
wireImport("#import-buyers", "#file-buyers", "buyers", BUYER_COLUMNS);
// A table that scrolls must be reachable from the keyboard, as a region named by its heading.
for (const wrap of document.querySelectorAll<HTMLElement>(".table-wrap[data-labelled-by]")) {
	wrap.tabIndex = 0;
	wrap.setAttribute("role", "region");
	wrap.setAttribute("aria-labelledby", wrap.dataset.labelledBy ?? "");
}
showFormMode();
void session.resume().catch((err) => say(message, describeError(err), "error"));

/** 读取: signs in first if needed, then makes the typed id the page's event and loads it. */
function connect(): Promise<void> {
	return session.openTypedEvent(message, loadAll);
}

/** Runs an action, reporting its error (or nothing) in the page's alert region. */
async function run(action: () => Promise<void>): Promise<void> {
	say(message, "");
	if (!session.who) {
		say(message, t("needSignIn"), "error");
		return;
	}
	try {
		await action();
	} catch (err) {
		if (session.who) say(message, describeAdminError(err), "error");
	}
}

async function loadAll(): Promise<void> {
	await run(async () => {
		$input("#event-id").value = currentEventId();
		const found = await loadEvent();
		startLedger();
		void eventList.reload().catch((err) => say(message, describeAdminError(err), "error"));
		if (!found) {
			say(message, t("consoleEventMissing", { id: currentEventId() }), "error");
			return;
		}
		say(message, t("eventLoaded", { id: found.id, name: found.name }));
		await Promise.all([mayAct("operator") ? loadFlags() : null, loadOutbox(), mayAct("operator") ? loadStaff() : null]);
	});
}

/** Reads the page's event; null (and the new-event form, with this id) when it does not exist. */
async function loadEvent(): Promise<AdminEvent | null> {
	try {
		summary = await adminApi("GET", eventPath());
	} catch (err) {
		if (toErrorLike(err).code !== "not_found") throw err;
		summary = null;
	}
	showSummary();
	announcement.show(summary?.event.announcement ?? null);
	if (summary) fillForm(summary.event);
	else {
		showNewForm(currentEventId());
		$("#outbox").replaceChildren();
	}
	markRehearsal(summary?.event ?? null);
	void rehearsal.show(summary?.event ?? null);
	await lotterySetup.show(summary?.event ?? null);
	return summary?.event ?? null;
}

function showSummary(): void {
	const el = $("#event-summary");
	if (!summary) {
		el.textContent = "";
		return;
	}
	const { event, counts } = summary;
	el.textContent = `${event.name} · ${t("eventStatus", { status: stateName(event.status), mode: stateName(event.statusMode) })} · ${t("eventCounts", { ...counts })}`;
}

function showRoleNotice(): void {
	const notice = $("#role-notice");
	const who = session.who;
	notice.hidden = !who || who.role === "operator";
	notice.textContent = who && who.role !== "operator" ? t("operatorOnlyNotice", { role: roleName(who.role) }) : "";
}

// --- the event form: edit the page's event, or create a new one -------------------------------------

function fillForm(ev: AdminEvent): void {
	formMode = "edit";
	say(formMessage, "");
	$input("#ev-name").value = ev.name;
	$input("#ev-starts").value = toLocalInput(ev.startsAt);
	$input("#ev-ends").value = toLocalInput(ev.endsAt);
	$input("#ev-hold").value = String(ev.holdSeconds);
	$input("#ev-limit").value = String(ev.perBuyerLimit);
	$input("#ev-currency").value = ev.currency;
	lotterySetup.fill(ev);
	showFormMode();
}

/** The form emptied for a new event (defaults: opens tomorrow at 10:00 for three hours). */
function showNewForm(eventId: string): void {
	formMode = "new";
	say(formMessage, "");
	const start = new Date();
	start.setDate(start.getDate() + 1);
	start.setHours(10, 0, 0, 0);
	$input("#ev-id").value = eventId;
	$input("#ev-name").value = "";
	$input("#ev-starts").value = toLocalInput(start.toISOString());
	$input("#ev-ends").value = toLocalInput(new Date(start.getTime() + 3 * 3_600_000).toISOString());
	$input("#ev-hold").value = "900";
	$input("#ev-limit").value = "1";
	$input("#ev-currency").value = "CNY";
	lotterySetup.fill(null);
	showFormMode();
	if (eventId === "") $input("#ev-id").focus();
}

function showFormMode(): void {
	const isNew = formMode === "new";
	$("#ev-id-field").hidden = !isNew;
	$input("#ev-id").disabled = !isNew;
	$input("#ev-id").required = isNew;
	$("#event-form-heading").textContent = isNew
		? t("newEventHeading")
		: t("editEventHeading", { id: summary?.event.id ?? currentEventId() });
	$button("#event-submit").textContent = t(isNew ? "create" : "save");
	$("#cancel-new").hidden = !isNew || summary === null;
	$("#new-event").hidden = isNew;
}

function eventBody() {
	const startsAt = new Date($input("#ev-starts").value);
	const endsAt = new Date($input("#ev-ends").value);
	// The one rule the inputs cannot say themselves, checked before asking the server.
	if (!(endsAt.getTime() > startsAt.getTime())) throw pageError("rangeInvalid");
	return {
		name: $input("#ev-name").value.trim(),
		startsAt: startsAt.toISOString(),
		endsAt: endsAt.toISOString(),
		holdSeconds: Number($input("#ev-hold").value),
		perBuyerLimit: Number($input("#ev-limit").value),
		currency: $input("#ev-currency").value.trim(),
		...lotterySetup.body(),
	};
}

async function saveEvent(): Promise<void> {
	const body = eventBody();
	await adminApi("PUT", eventPath(), body);
	await loadEvent();
	say(message, t("saved"));
}

/** Creates an event under a new id; an id in use is refused here, and editing it is a second choice. */
async function createEvent(): Promise<void> {
	say(formMessage, "");
	const eventId = $input("#ev-id").value.trim();
	if (!ID_PATTERN.test(eventId)) throw pageError("badEventId");
	const body = eventBody();
	// Create only (If-None-Match: *): the server refuses an id in use with 412 in the same statement
	// that would create it, so not even a form racing another one can overwrite an event.
	const created = await adminApi("PUT", eventPath(eventId), body, { "if-none-match": "*" }).then(
		() => true,
		(err: unknown) => {
			if (toErrorLike(err).code === "precondition_failed") return false;
			throw err;
		},
	);
	if (!created) {
		const edit = h("button", { type: "button", text: t("editThatEvent") });
		edit.addEventListener("click", () => {
			setEventId(eventId);
			void loadAll().then(() => $input("#ev-name").focus());
		});
		formMessage.replaceChildren(h("span", { text: `${t("eventExists", { id: eventId })} ` }), edit);
		formMessage.dataset.kind = "error";
		return;
	}
	setEventId(eventId);
	await loadAll();
	say(message, t("eventCreated", { id: eventId }));
}

// --- sale control and switches ---------------------------------------------------------------------

async function setStatus(status: string, button: HTMLButtonElement): Promise<void> {
	const name = summary?.event.name ?? currentEventId();
	if (status === "open" || status === "closed") {
		const ok = await confirmAction({
			text: t(status === "open" ? "confirmOpen" : "confirmClose", { name }),
			action: button.textContent ?? status,
			danger: status === "closed",
		});
		if (!ok) return;
	}
	await adminApi("POST", `${eventPath()}/status`, { status });
	await loadEvent();
	const now = stateName(summary?.event.status ?? "");
	say(message, t(`statusDone_${status}` as MessageKey, { status: now }));
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

// --- orders and the outbox -------------------------------------------------------------------------

async function exportOrders(): Promise<void> {
	const eventId = currentEventId();
	const [orders, catalogue] = await Promise.all([
		allOrders(eventId),
		fetch(`/api/events/${encodeURIComponent(eventId)}/listings`).then(
			async (r) => (r.ok ? ((await r.json()) as { listings: Listing[] }).listings : []),
			() => [],
		),
	]);
	download(`orders-${eventId}.csv`, ordersCsv(orders, new Map(catalogue.map((l) => [l.id, l])), lang()));
	say(message, t("exported", { n: orders.length }));
}

async function loadOutbox(): Promise<void> {
	if (!session.who || !summary) return;
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
	const kind = (k: string) => (`kind_${k}` in MESSAGES.zh ? t(`kind_${k}` as MessageKey) : k);
	root.replaceChildren(
		h(
			"table",
			{ class: "data outbox" },
			h("thead", {}, h("tr", {}, ...head.map((k) => h("th", { scope: "col", text: t(k) })))),
			h(
				"tbody",
				{},
				...notifications.map((n) =>
					h(
						"tr",
						{},
						...[formatTime(n.createdAt), kind(n.kind), n.buyerId, n.phone ?? "", n.body, n.provider].map((v) =>
							h("td", { text: v }),
						),
					),
				),
			),
		),
	);
}

// --- staff accounts (operator) -----------------------------------------------------------------------

async function loadStaff(): Promise<void> {
	staff = await listStaff();
	renderStaff();
}

function renderStaff(): void {
	const root = $("#staff-list");
	if (!mayAct("operator")) {
		root.replaceChildren();
		return;
	}
	if (staff.length === 0) {
		root.replaceChildren(h("p", { class: "muted", text: t("staffEmpty") }));
		return;
	}
	const head = ["staffName", "staffRole", "staffCreatedAt", "staffRevokedAt"] as const;
	root.replaceChildren(
		h(
			"table",
			{ class: "data", id: "staff-table" },
			h(
				"thead",
				{},
				h(
					"tr",
					{},
					...head.map((k) => h("th", { scope: "col", text: t(k) })),
					h("th", { scope: "col" }, h("span", { class: "visually-hidden", text: t("revoke") })),
				),
			),
			h("tbody", {}, ...staff.map(staffRow)),
		),
	);
}

function staffRow(member: StaffMember): HTMLElement {
	const cell = h("td", {});
	if (!member.revokedAt) {
		const revoke = h("button", { type: "button", text: t("revoke"), "aria-label": `${t("revoke")} ${member.name}` });
		revoke.addEventListener("click", () => void run(() => revokeMember(member)));
		cell.append(revoke);
	}
	return h(
		"tr",
		{ "data-staff": member.staffId, class: member.revokedAt ? "revoked" : undefined },
		h("th", { scope: "row", text: member.name }),
		h("td", { text: roleName(member.role) }),
		h("td", { text: formatTime(member.createdAt) }),
		h("td", { text: member.revokedAt ? formatTime(member.revokedAt) : t("staffActive") }),
		cell,
	);
}

async function addStaff(): Promise<void> {
	const nameInput = $input("#staff-name");
	const role = ($("#staff-role") as HTMLSelectElement).value as StaffRole;
	const created = await createStaff(nameInput.value.trim(), role);
	nameInput.value = "";
	await showTokenOnce(created.name, created.token);
	await loadStaff();
}

async function revokeMember(member: StaffMember): Promise<void> {
	const ok = await confirmAction({
		text: t("confirmRevoke", { name: member.name, role: roleName(member.role) }),
		detail: t("confirmRevokeDetail"),
		action: t("revoke"),
		danger: true,
	});
	if (!ok) return;
	await revokeStaff(member.staffId);
	await loadStaff();
	say($("#staff-message"), t("staffRevokedMsg", { name: member.name }));
}

/** The new token, this once: a modal with the token, a copy button and the warning. */
function showTokenOnce(name: string, token: string): Promise<void> {
	const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
	const field = h("input", {
		id: "new-token",
		class: "mono token",
		readonly: true,
		value: token,
		"aria-labelledby": "token-once-heading",
		spellcheck: "false",
	});
	const copy = h("button", { type: "button", text: t("copy") });
	const done = h("button", { type: "button", class: "primary", text: t("tokenSaved") });
	const dialog = h(
		"dialog",
		{ class: "confirm token-once", "aria-labelledby": "token-once-heading", "aria-describedby": "token-once-warning" },
		h("h2", { id: "token-once-heading", text: t("tokenOnceHeading", { name }) }),
		h("p", { id: "token-once-warning", class: "warning", text: t("tokenOnceWarning", { name }) }),
		field,
		status,
		h("div", { class: "row actions" }, copy, done),
	);
	copy.addEventListener("click", () => void copyText(token, status, field));
	done.addEventListener("click", () => dialog.close());
	document.body.append(dialog);
	return new Promise((resolve) => {
		dialog.addEventListener("close", () => {
			// Gone from the page as well as from sight: it is not shown again.
			field.value = "";
			dialog.remove();
			$input("#staff-name").focus();
			resolve();
		});
		dialog.showModal();
		field.select();
	});
}

async function copyText(text: string, status: HTMLElement, select?: HTMLInputElement): Promise<void> {
	if (!text) return;
	try {
		await navigator.clipboard.writeText(text);
		say(status, t("copied"));
	} catch {
		select?.select();
		say(status, t("copyFailed"));
	}
}

// --- the event ledger ------------------------------------------------------------------------------

function startLedger(): void {
	stopLedger();
	void refreshLedger();
	ledgerTimer = setInterval(() => {
		if (document.visibilityState === "visible") void refreshLedger();
	}, LEDGER_REFRESH_MS);
}

function stopLedger(): void {
	if (ledgerTimer) clearInterval(ledgerTimer);
	ledgerTimer = null;
	$("#ledger-seq").textContent = "–";
	showHash("");
}

/** The head as a notary reads it: the entry number, and the hash in groups of four. */
async function refreshLedger(): Promise<void> {
	if (!session.who) return;
	const at = $("#ledger-at");
	try {
		const head = await ledgerHead(currentEventId());
		$("#ledger-seq").textContent = head.seq.toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB");
		showHash(head.hash);
		const parts = [
			head.seq === 0 ? t("ledgerEmpty") : null,
			head.at ? t("ledgerAt", { time: formatTime(head.at) }) : null,
		];
		parts.push(
			t("ledgerChecked", {
				time: new Date().toLocaleTimeString(lang() === "zh" ? "zh-CN" : "en-GB", { hourCycle: "h23" }),
			}),
		);
		at.textContent = parts.filter(Boolean).join(" · ");
	} catch {
		$("#ledger-seq").textContent = "–";
		showHash("");
		at.textContent = t("ledgerUnavailable");
	}
}

function showHash(hash: string): void {
	const el = $("#ledger-hash");
	el.dataset.hash = hash;
	el.replaceChildren(...(hash.match(/.{1,4}/g) ?? []).map((g) => h("span", { class: "hash-group", text: g })));
	$button("#copy-hash").disabled = hash === "";
}

async function downloadLedger(): Promise<void> {
	const eventId = currentEventId();
	const text = await ledgerExport(eventId);
	download(`ledger-${eventId}.jsonl`, text, "application/x-ndjson", false);
	say(message, t("ledgerExported"));
}

// --- imports ---------------------------------------------------------------------------------------

/** CSV import: check the whole file, report every bad row by line, send only a clean file. */
function wireImport(
	formSel: string,
	fileSel: string,
	kind: "listings" | "buyers",
	columns: typeof LISTING_COLUMNS,
): void {
	const importForm = $(formSel);
	const result = importForm.querySelector<HTMLElement>(".result") ?? importForm;
	importForm.addEventListener("submit", (e) => {
		e.preventDefault();
		void run(async () => {
			const file = $input(fileSel).files?.[0];
			if (!file) {
				result.replaceChildren(h("p", { text: t("chooseFile") }));
				return;
			}
			// Never file.text(): it reads a GBK file (Chinese Excel) as UTF-8 and corrupts every name.
			const decoded = decodeTextFile(new Uint8Array(await file.arrayBuffer()));
			if (!decoded.ok) {
				result.replaceChildren(h("p", { "data-encoding": "unreadable", text: t("encodingUnreadable") }));
				return;
			}
			const source = decoded.text;
			const readAs = h("p", {
				class: "muted",
				"data-encoding": decoded.encoding,
				text: t(`encoding_${decoded.encoding}`),
			});
			const checked = checkCsv(source, columns);
			if (!checked.ok) {
				result.replaceChildren(...problemList(checked.problems), readAs);
				return;
			}
			try {
				const answer = await adminApi<{ buyers?: { id: string; accessCode: string | null }[] }>(
					"PUT",
					`${eventPath()}/${kind}`,
					{ [kind]: checked.rows },
				);
				const done = h("p", { text: t("importOk", { n: checked.rows.length }) });
				result.replaceChildren(done, readAs);
				if (answer.buyers) result.append(codesButton(answer.buyers));
				await loadEvent();
			} catch (err) {
				// The server names the first bad field as `<kind>.<row>.<field>`: point at its line.
				const e2 = toErrorLike(err);
				const match = e2.field?.match(new RegExp(`^${kind}\\.(\\d+)\\.?(.*)$`));
				if (e2.code === "invalid_request" && match) {
					const line = lineOfRow(source, Number(match[1]));
					result.replaceChildren(...problemList([{ line, key: "csv_server", vars: { message: e2.message } }]), readAs);
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
	const eventId = currentEventId();
	const button = h("button", { type: "button", text: t("downloadCodes") });
	button.addEventListener("click", () => {
		const lines = [toCsvLine(["id", "accessCode"]), ...buyers.map((b) => toCsvLine([b.id, b.accessCode]))];
		download(`access-codes-${eventId}.csv`, `${lines.join("\r\n")}\r\n`);
	});
	return button;
}

// --- words -----------------------------------------------------------------------------------------

/** The event form's fields as the form labels them, for the server's "invalid_request: <field>". */
const FIELD_LABELS: Record<string, MessageKey> = {
	name: "eventName",
	startsAt: "startsAt",
	endsAt: "endsAt",
	holdSeconds: "holdSeconds",
	perBuyerLimit: "perBuyerLimit",
	currency: "currency",
	mode: "modeLabel",
	batchSize: "batchSizeLabel",
	batchSeconds: "batchSecondsLabel",
	autoClaimDelaySeconds: "autoClaimDelayLabel",
};

/** A page-made error with a message key (shown as its sentence by describeAdminError). */
function pageError(key: MessageKey): Error & { pageKey: MessageKey } {
	return Object.assign(new Error(key), { pageKey: key });
}

/** describeError(), but a bad field of the event form is named as the form names it. */
function describeAdminError(err: unknown): string {
	if (err instanceof Error && "pageKey" in err) return t(err.pageKey as MessageKey);
	const locked = drawLockText(err);
	if (locked) return locked;
	const e = toErrorLike(err);
	if (e.code === "invalid_request" && e.field && e.field in FIELD_LABELS) {
		if (e.field === "endsAt" && /later/.test(e.message)) return t("rangeInvalid");
		const detail = e.message.replace(new RegExp(`^${e.field}:\\s*`), "");
		return t("fieldInvalid", { field: t(FIELD_LABELS[e.field] as MessageKey), detail });
	}
	return describeError(err);
}

function stateName(state: string): string {
	const key = `state_${state}` as MessageKey;
	return key in MESSAGES.zh ? t(key) : state;
}
