// 模拟开盘 from the console: the operator copies the page's event into a rehearsal (POST …/rehearsal,
// docs/API.md "Rehearsal") instead of typing curl. The form suggests a free id (<event>-rehearsal-<n>)
// and times starting soon, asks first in words that say what is copied and what is not touched, then
// links to the rehearsal on the console, the dashboard and the buyer page. Operators only (data-role);
// on a rehearsal the form is off and points at the real event, as the server refuses a copy of a copy.
import type { AdminEvent } from "../../client/api-types";
import { adminApi, eventPath, ID_PATTERN, mayAct } from "../shared/admin-api";
import { confirmAction } from "../shared/confirm-dialog";
import { $, $button, $input, h, say } from "../shared/dom";
import { describeError, toErrorLike } from "../shared/errors";
import { formatTime, t } from "../shared/i18n";
import type { MessageKey } from "../shared/messages";
import { toLocalInput } from "./time-input";

/** A rehearsal starts this soon by default: time to open the pages before it does. */
const DEFAULT_LEAD_MS = 10 * 60_000;
/** How many taken suggestions to step over before leaving the choice to the operator. */
const MAX_PROBES = 20;

export class RehearsalPanel {
	private event: AdminEvent | null = null;
	/** The id this panel last suggested: replaced by the next suggestion unless the operator typed one. */
	private suggested = "";
	private readonly panel: HTMLElement;
	private readonly note: HTMLElement;
	private readonly message: HTMLElement;

	constructor() {
		this.note = h("p", { id: "rehearsal-note", class: "notice", hidden: true });
		this.message = h("div", { id: "rehearsal-message", class: "message", role: "alert" });
		const field = (id: string, key: MessageKey, input: HTMLInputElement) =>
			h("div", {}, h("label", { for: id, "data-i18n": key, text: t(key) }), input);
		const form = h(
			"form",
			{ id: "rehearsal-form", "aria-labelledby": "rehearsal-heading" },
			field(
				"rh-id",
				"rehearsalIdLabel",
				h("input", { id: "rh-id", name: "rehearsalId", required: true, autocomplete: "off", maxlength: 64 }),
			),
			h(
				"div",
				{ class: "row" },
				field(
					"rh-starts",
					"startsAt",
					h("input", { id: "rh-starts", type: "datetime-local", step: 1, required: true }),
				),
				field("rh-ends", "endsAt", h("input", { id: "rh-ends", type: "datetime-local", step: 1, required: true })),
			),
			this.message,
			h(
				"div",
				{ class: "row" },
				h("button", {
					type: "submit",
					id: "rehearsal-submit",
					class: "primary",
					"data-i18n": "rehearsalCreate",
					text: t("rehearsalCreate"),
				}),
			),
		);
		this.panel = h(
			"section",
			{
				class: "panel",
				id: "rehearsal-panel",
				"aria-labelledby": "rehearsal-heading",
				"data-role": "operator",
				hidden: true,
			},
			h("h2", { id: "rehearsal-heading", "data-i18n": "rehearsalHeading", text: t("rehearsalHeading") }),
			h("p", { class: "muted", "data-i18n": "rehearsalExplain", text: t("rehearsalExplain") }),
			this.note,
			form,
		);
		// Beside the sale control: both are what an operator does to the event as a whole.
		$("#status-panel").after(this.panel);
		form.addEventListener("submit", (e) => {
			e.preventDefault();
			void this.create();
		});
		this.render();
	}

	/** The page's event (null: none loaded): fills the form with a free id and times from now. */
	async show(event: AdminEvent | null): Promise<void> {
		const changed = event?.id !== this.event?.id;
		this.event = event;
		if (changed) say(this.message, "");
		this.render();
		// Only operators see the form (data-role): nobody else needs a suggestion.
		if (!event || event.rehearsalOf !== null || !mayAct("operator")) return;
		if (changed) this.fillTimes(event);
		const idInput = $input("#rh-id");
		if (changed || idInput.value === "" || idInput.value === this.suggested) {
			const before = idInput.value;
			const id = await this.freeId(event.id);
			// Another event opened meanwhile, or the operator typed an id of their own: leave it.
			if (this.event?.id !== event.id || idInput.value !== before) return;
			this.suggested = id;
			idInput.value = id;
		}
	}

	render(): void {
		const of = this.event?.rehearsalOf ?? null;
		this.note.hidden = of === null;
		this.note.textContent = of === null ? "" : t("rehearsalOfRehearsal", { of });
		const off = this.event === null || of !== null;
		for (const el of this.panel.querySelectorAll<HTMLInputElement | HTMLButtonElement>("input, button")) {
			el.disabled = off;
		}
	}

	private fillTimes(event: AdminEvent): void {
		const start = Math.ceil((Date.now() + DEFAULT_LEAD_MS) / 60_000) * 60_000;
		const length = Math.max(60_000, Date.parse(event.endsAt) - Date.parse(event.startsAt));
		$input("#rh-starts").value = toLocalInput(new Date(start).toISOString());
		$input("#rh-ends").value = toLocalInput(new Date(start + length).toISOString());
	}

	/** `<event>-rehearsal-<n>` for the first n no event has (ids are at most 64 characters). */
	private async freeId(eventId: string): Promise<string> {
		const candidate = (n: number) => {
			const suffix = `-rehearsal-${n}`;
			return `${eventId.slice(0, 64 - suffix.length)}${suffix}`;
		};
		for (let n = 1; n <= MAX_PROBES; n++) {
			const id = candidate(n);
			try {
				await adminApi("GET", eventPath(id));
			} catch {
				// not_found is the free one; any other answer leaves this guess to the server's check.
				return id;
			}
		}
		return candidate(MAX_PROBES + 1);
	}

	private async create(): Promise<void> {
		const source = this.event;
		if (!source) return;
		say(this.message, "");
		const rehearsalId = $input("#rh-id").value.trim();
		const startsAt = new Date($input("#rh-starts").value);
		const endsAt = new Date($input("#rh-ends").value);
		if (!ID_PATTERN.test(rehearsalId)) return say(this.message, t("badEventId"), "error");
		if (Number.isNaN(startsAt.getTime()) || Number.isNaN(endsAt.getTime()) || !(endsAt > startsAt)) {
			return say(this.message, t("rangeInvalid"), "error");
		}
		const ok = await confirmAction({
			text: t("rehearsalConfirm", { of: source.id, id: rehearsalId }),
			detail: t("rehearsalConfirmDetail", {
				starts: formatTime(startsAt.toISOString()),
				ends: formatTime(endsAt.toISOString()),
			}),
			action: t("rehearsalCreate"),
		});
		if (!ok) return;
		const submit = $button("#rehearsal-submit");
		submit.disabled = true;
		try {
			await adminApi("POST", `${eventPath(source.id)}/rehearsal`, {
				rehearsalId,
				startsAt: startsAt.toISOString(),
				endsAt: endsAt.toISOString(),
			});
		} catch (err) {
			say(this.message, rehearsalErrorText(err, rehearsalId), "error");
			return;
		} finally {
			this.render();
		}
		this.showCreated(rehearsalId);
		this.suggested = "";
		$input("#rh-id").value = "";
		void this.show(source);
	}

	/** 已创建 with the three places to open it: this console, the dashboard and the buyer page. */
	private showCreated(id: string): void {
		const q = `?event=${encodeURIComponent(id)}`;
		const link = (href: string, key: "rehearsalOpenConsole" | "rehearsalOpenDashboard" | "rehearsalOpenBuyer") =>
			h("li", {}, h("a", { href, text: t(key) }));
		this.message.replaceChildren(
			h("p", { text: t("rehearsalCreated", { id }) }),
			h(
				"ul",
				{ class: "rehearsal-links" },
				link(`/console${q}`, "rehearsalOpenConsole"),
				link(`/dashboard${q}`, "rehearsalOpenDashboard"),
				link(`/${q}`, "rehearsalOpenBuyer"),
			),
		);
		this.message.dataset.kind = "info";
	}
}

/** The server's refusals of a rehearsal, in the words of this form (docs/API.md "Rehearsal"). */
export function rehearsalErrorText(err: unknown, rehearsalId: string): string {
	const e = toErrorLike(err);
	if (e.code === "event_locked") {
		return e.field === "rehearsalId" ? t("rehearsalIdTaken", { id: rehearsalId }) : t("rehearsalOfRehearsalRefused");
	}
	if (e.code === "forbidden") return t("rehearsalForbidden");
	if (e.code === "invalid_request") {
		if (e.field === "rehearsalId") return t("badEventId");
		if (e.field === "endsAt" && /later|after/i.test(e.message)) return t("rangeInvalid");
		if (e.field === "startsAt" || e.field === "endsAt") {
			const detail = e.message.replace(new RegExp(`^${e.field}:\\s*`), "");
			return t("fieldInvalid", { field: t(e.field), detail });
		}
	}
	return describeError(err);
}
