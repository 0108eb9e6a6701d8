// Signing in on the staff pages (issue 11): a staff token, checked with whoami; the header says who
// is signed in; what a role may not use is not shown. Markup the page provides:
//   #who (header: #who-name and #sign-out), #token-field (with #admin-token), and attributes
//   data-auth    — shown only while signed in;
//   data-guest   — shown only while signed out (its inputs are disabled otherwise, so that a hidden
//                  `required` field never blocks a form);
//   data-role="sales|operator" — shown only to that role and above (the server refuses the rest anyway).
// A request answered 401 while signed in signs the page out with a message; so does the recheck every
// minute, so a wall screen whose token was revoked does not go on as if nothing happened.
import {
	adminToken,
	ID_PATTERN,
	mayAct,
	onSignedOut,
	recheck,
	type StaffRole,
	setEventId,
	signIn,
	signOut,
	type Whoami,
	whoSignedIn,
} from "./admin-api";
import { $, $button, $input, say } from "./dom";
import { describeError, toErrorLike } from "./errors";
import { onLangChange, t } from "./i18n";
import type { MessageKey } from "./messages";

const RECHECK_MS = 60_000;

export interface SessionHooks {
	signedIn(who: Whoami): void;
	/** `revoked`: the server refused the token (a message is due); `user`: the person signed out. */
	signedOut(why: "revoked" | "user"): void;
}

export function roleName(role: StaffRole): string {
	return t(`role_${role}` as MessageKey);
}

export function whoLabel(who: Whoami): string {
	return t("signedInAs", { name: who.actor === "admin" ? t("adminTokenName") : who.name, role: roleName(who.role) });
}

export class StaffSession {
	private timer: ReturnType<typeof setInterval> | null = null;

	constructor(private readonly hooks: SessionHooks) {
		onSignedOut(() => this.ended("revoked"));
		$button("#sign-out").addEventListener("click", () => {
			signOut();
			this.ended("user");
		});
		onLangChange(() => this.apply());
		this.apply();
	}

	/** Signs in with the token kept in this tab, if any; false when there is none. */
	async resume(): Promise<boolean> {
		const token = adminToken();
		if (!token) return false;
		await this.signIn(token);
		return true;
	}

	async signIn(token: string): Promise<Whoami> {
		const who = await signIn(token);
		this.apply();
		if (this.timer) clearInterval(this.timer);
		this.timer = setInterval(() => void recheck().catch(() => undefined), RECHECK_MS);
		this.hooks.signedIn(who);
		return who;
	}

	/**
	 * The page's 读取/连接 button: the typed id becomes the page's event; a signed-in page loads it at
	 * once, a signed-out one signs in with the typed token first (its signedIn hook then loads it).
	 * Refusals are said in `message`, in words.
	 */
	async openTypedEvent(message: HTMLElement, load: () => Promise<void>): Promise<void> {
		say(message, "");
		const eventId = $input("#event-id").value.trim();
		if (!ID_PATTERN.test(eventId)) {
			say(message, t("badEventId"), "error");
			return;
		}
		setEventId(eventId);
		if (this.who) {
			await load();
			return;
		}
		const token = $input("#admin-token").value.trim();
		if (!token) {
			say(message, t("needSignIn"), "error");
			return;
		}
		try {
			await this.signIn(token);
		} catch (err) {
			const code = toErrorLike(err).code;
			say(
				message,
				code === "unauthenticated" || code === "forbidden" ? t("signInFailed") : describeError(err),
				"error",
			);
		}
	}

	get who(): Whoami | null {
		return whoSignedIn();
	}

	private ended(why: "revoked" | "user"): void {
		if (this.timer) clearInterval(this.timer);
		this.timer = null;
		this.apply();
		this.hooks.signedOut(why);
	}

	/** Shows and hides what the signed-in role may see. */
	apply(): void {
		const who = whoSignedIn();
		const whoBox = $("#who");
		whoBox.hidden = who === null;
		$("#who-name").textContent = who ? whoLabel(who) : "";
		for (const el of document.querySelectorAll<HTMLElement>("[data-auth]")) el.hidden = who === null;
		for (const el of document.querySelectorAll<HTMLElement>("[data-guest]")) {
			el.hidden = who !== null;
			for (const input of el.querySelectorAll("input")) input.disabled = who !== null;
		}
		for (const el of document.querySelectorAll<HTMLElement>("[data-role]")) {
			el.hidden = !mayAct(el.dataset.role as StaffRole);
		}
	}
}
