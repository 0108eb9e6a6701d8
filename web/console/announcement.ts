// The operator's announcement to every buyer of the event (issue 13): the console shows the one in
// force, posts a new one (PUT …/announcement) or takes it down (DELETE, after a question). Buyers'
// pages show it at once (pushed over the live feed) and every page loaded later reads it with the event.
import type { Announcement } from "../../client/live-frames";
import { adminApi, currentEventId, eventPath } from "../shared/admin-api";
import { confirmAction } from "../shared/confirm-dialog";
import { $, $button, h, say } from "../shared/dom";
import { formatTime, t } from "../shared/i18n";

const MAX_CHARS = 500;

export class AnnouncementPanel {
	private current: Announcement | null = null;
	private readonly text = $("#announcement-text") as HTMLTextAreaElement;

	constructor(
		/** Runs an action with the console's error reporting (console.ts run()). */
		private readonly run: (action: () => Promise<void>) => Promise<void>,
		private readonly message: HTMLElement,
	) {
		$("#announcement-form").addEventListener("submit", (e) => {
			e.preventDefault();
			void this.run(() => this.post());
		});
		$("#announcement-clear").addEventListener("click", () => void this.run(() => this.clear()));
		this.text.addEventListener("input", () => this.count());
		this.count();
	}

	/** The event's announcement as the event read says it. */
	show(announcement: Announcement | null): void {
		this.current = announcement;
		this.render();
	}

	render(): void {
		const el = $("#announcement-current");
		if (this.current === null) {
			el.replaceChildren(h("span", { class: "muted", text: t("announcementNone") }));
		} else {
			el.replaceChildren(
				h("strong", { text: t("announcementCurrent", { time: formatTime(this.current.postedAt) }) }),
				h("p", { class: "announcement-text", text: this.current.text }),
			);
		}
		$button("#announcement-clear").disabled = this.current === null;
		this.count();
	}

	private count(): void {
		const n = [...this.text.value.trim()].length;
		$("#announcement-count").textContent = t("announcementCount", { n });
	}

	private async post(): Promise<void> {
		const text = this.text.value.trim();
		if ([...text].length > MAX_CHARS) {
			say(this.message, t("announcementTooLong"), "error");
			return;
		}
		const answer = await adminApi<{ announcement: Announcement }>(
			"PUT",
			`${eventPath(currentEventId())}/announcement`,
			{
				text,
			},
		);
		this.text.value = "";
		this.show(answer.announcement);
		say(this.message, t("announcementPosted"));
	}

	private async clear(): Promise<void> {
		const ok = await confirmAction({
			text: t("confirmClearAnnouncement"),
			action: t("announcementClear"),
			danger: true,
		});
		if (!ok) return;
		await adminApi("DELETE", `${eventPath(currentEventId())}/announcement`);
		this.show(null);
		say(this.message, t("announcementCleared"));
	}
}
