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
	mayAct,
	onSignedOut,
	recheck,
	type StaffRole,
	signIn,
	signOut,
	type Whoami,
	whoSignedIn,
} from "./admin-api";
import { $, $button } from "./dom";
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
