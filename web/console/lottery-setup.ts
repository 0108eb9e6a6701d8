// The console's lottery (摇号选房, API.md v1.1): the event form's mode, batch and auto-claim fields, and
// the draw panel — commit, then reveal, each behind a question, with the draw as the public sees it
// shown after.
//
// The commit takes a seedHash: pasted (a notary's), or made here — a random seed from
// crypto.getRandomValues, its SHA-256 by WebCrypto, the seed offered as a file to keep. The seed never
// leaves the browser before the reveal, and this page does not keep it either (a reload forgets it): the
// file is the only copy, and the page says so. The reveal takes the seed pasted or loaded from that
// file and checks it against the commitment here first, so a wrong file is said in words, not sent.
import type { AdminEvent } from "../../client/api-types";
import { adminApi, eventPath } from "../shared/admin-api";
import { confirmAction } from "../shared/confirm-dialog";
import { $, $button, $input, download, h, say } from "../shared/dom";
import { describeError, toErrorLike } from "../shared/errors";
import { formatTime, t } from "../shared/i18n";
import { AUTO_CLAIM_DELAY_DEFAULT, fetchDraw, hashGroups, type PublicDraw } from "../shared/lottery-api";

const SEED_HASH = /^[0-9a-f]{64}$/;
/** 256 random bits: FAIRNESS.md asks for at least 128. */
const SEED_BYTES = 32;

/**
 * A 409 event_locked caused by the draw's commitment, in words that name it (the generic sentence
 * says the event has opened, which it has not). The server tells the two apart only in its message.
 */
export function drawLockText(err: unknown): string | null {
	const e = toErrorLike(err);
	if (e.code !== "event_locked" || !/lottery draw is committed/i.test(e.message)) return null;
	return t(/buyer list/i.test(e.message) ? "lockedBuyersByDraw" : "lockedByDraw");
}

export interface LotteryConsoleHost {
	eventId(): string;
	/** Reads the event again (the summary, the form) after a commit or a reveal. */
	reload(): Promise<unknown>;
}

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function randomSeed(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(SEED_BYTES));
	return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class LotterySetup {
	private event: AdminEvent | null = null;
	private draw: PublicDraw | null = null;
	private readonly message = $("#draw-message");

	constructor(private readonly host: LotteryConsoleHost) {
		$("#ev-mode").addEventListener("change", () => this.showNumbers());
		$("#generate-seed").addEventListener("click", () => void this.generate());
		$("#commit-form").addEventListener("submit", (e) => {
			e.preventDefault();
			void this.commit();
		});
		$("#reveal-form").addEventListener("submit", (e) => {
			e.preventDefault();
			void this.reveal();
		});
		$input("#reveal-file").addEventListener("change", () => void this.loadSeedFile());
	}

	// --- the event form ------------------------------------------------------------------------------

	/** Fills the form's lottery fields from the event (or the defaults for a new one). */
	fill(ev: AdminEvent | null): void {
		($("#ev-mode") as HTMLSelectElement).value = ev?.mode ?? "race";
		$input("#ev-batch-size").value = String(ev?.batchSize ?? 10);
		$input("#ev-batch-seconds").value = String(ev?.batchSeconds ?? 300);
		$input("#ev-auto-delay").value = String(ev?.autoClaimDelaySeconds ?? AUTO_CLAIM_DELAY_DEFAULT);
		this.showNumbers();
	}

	/** The fields for PUT /api/admin/events/:id (the PUT replaces the event: a race sends its defaults). */
	body(): { mode: "race" | "lottery"; batchSize: number; batchSeconds: number; autoClaimDelaySeconds: number } {
		const mode = ($("#ev-mode") as HTMLSelectElement).value === "lottery" ? "lottery" : "race";
		return {
			mode,
			batchSize: Number($input("#ev-batch-size").value),
			batchSeconds: Number($input("#ev-batch-seconds").value),
			autoClaimDelaySeconds: Number($input("#ev-auto-delay").value),
		};
	}

	/** Batch fields only for a lottery; hidden ones are disabled so that their `required` never blocks. */
	private showNumbers(): void {
		const lottery = ($("#ev-mode") as HTMLSelectElement).value === "lottery";
		$("#lottery-numbers").hidden = !lottery;
		for (const id of ["#ev-batch-size", "#ev-batch-seconds", "#ev-auto-delay"]) $input(id).disabled = !lottery;
	}

	// --- the draw panel ------------------------------------------------------------------------------

	/** The page's event was (re)loaded: the draw panel follows it. */
	async show(ev: AdminEvent | null): Promise<void> {
		const changed = ev?.id !== this.event?.id;
		this.event = ev;
		if (changed) {
			say(this.message, "");
			$input("#seed-hash").value = "";
			$input("#reveal-seed").value = "";
			$input("#reveal-beacon").value = "";
			$input("#reveal-file").value = "";
			$("#seed-note").hidden = true;
		}
		this.draw = null;
		if (ev) {
			try {
				this.draw = await fetchDraw(ev.id);
			} catch (err) {
				say(this.message, describeError(err), "error");
			}
		}
		this.render();
	}

	render(): void {
		const ev = this.event;
		const panel = $("#draw-panel");
		panel.dataset.empty = String(ev === null);
		const status = $("#draw-status");
		const lottery = ev?.mode === "lottery";
		const drawStatus = this.draw?.status ?? ev?.drawStatus ?? "none";
		$("#commit-step").hidden = !ev || !lottery || drawStatus !== "none";
		$("#reveal-step").hidden = !ev || !lottery || drawStatus !== "committed";
		if (!ev) {
			status.textContent = "";
			$("#draw-facts").replaceChildren();
			return;
		}
		if (!lottery) {
			status.textContent = t("drawRaceNote");
			$("#draw-facts").replaceChildren();
			return;
		}
		status.dataset.status = drawStatus;
		status.textContent = t("drawStatusLine", { status: t(`drawState_${drawStatus}`) });
		$("#draw-facts").replaceChildren(...this.facts());
	}

	private facts(): HTMLElement[] {
		const draw = this.draw;
		if (!draw || draw.status === "none") return [];
		const hash = (value: string | null) =>
			h(
				"code",
				{ class: "hash draw-hash", translate: "no" },
				...hashGroups(value ?? "").map((g) => h("span", { class: "hash-group", text: g })),
			);
		const rows: [string, Node | string][] = [
			[t("drawBuyerCount"), String(draw.buyerCount ?? "–")],
			[t("drawCommittedAt"), draw.committedAt ? formatTime(draw.committedAt) : "–"],
			[t("drawSeedHash"), hash(draw.seedHash)],
			[t("drawBuyersHash"), hash(draw.buyersHash)],
		];
		if (draw.status === "drawn") {
			rows.push(
				[t("drawDrawnAt"), draw.drawnAt ? formatTime(draw.drawnAt) : "–"],
				[t("drawSeed"), h("code", { class: "draw-value", translate: "no", text: draw.seed ?? "" })],
				[
					t("drawBeacon"),
					draw.beacon ? h("code", { class: "draw-value", translate: "no", text: draw.beacon }) : t("drawNoBeacon"),
				],
			);
		}
		const path = `/api/events/${encodeURIComponent(this.host.eventId())}/draw`;
		return [
			h("dl", { class: "draw-facts" }, ...rows.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", {}, v)])),
			h("p", {}, h("a", { href: path, target: "_blank", rel: "noopener", text: t("drawPublicLink") })),
		];
	}

	// --- commit --------------------------------------------------------------------------------------

	/** A seed made here: its hash goes in the field, the seed itself into a file, and nowhere else. */
	private async generate(): Promise<void> {
		say(this.message, "");
		const seed = randomSeed();
		const seedHash = await sha256Hex(seed);
		const file = `draw-seed-${this.host.eventId()}.txt`;
		// The file holds the seed exactly (no BOM, no line break): the reveal hashes it as it is.
		download(file, seed, "text/plain;charset=utf-8", false);
		$input("#seed-hash").value = seedHash;
		const note = $("#seed-note");
		note.textContent = t("seedGenerated", { file });
		note.hidden = false;
	}

	private async commit(): Promise<void> {
		say(this.message, "");
		const input = $input("#seed-hash");
		const seedHash = input.value.trim().toLowerCase();
		if (!SEED_HASH.test(seedHash)) {
			say(this.message, t("seedHashInvalid"), "error");
			input.focus();
			return;
		}
		const ok = await confirmAction({
			text: t("confirmCommit", { name: this.event?.name ?? this.host.eventId() }),
			detail: t("confirmCommitDetail"),
			action: $button("#commit-form button[type=submit]").textContent ?? t("commit"),
		});
		if (!ok) return;
		try {
			const { draw } = await adminApi<{ draw: PublicDraw }>("POST", `${eventPath(this.host.eventId())}/draw/commit`, {
				seedHash,
			});
			this.draw = draw;
			await this.host.reload();
			say(this.message, t("committedMsg", { n: draw.buyerCount ?? 0 }));
		} catch (err) {
			say(this.message, describeError(err), "error");
		}
	}

	// --- reveal --------------------------------------------------------------------------------------

	private async loadSeedFile(): Promise<void> {
		const file = $input("#reveal-file").files?.[0];
		if (!file) return;
		$input("#reveal-seed").value = await file.text();
		say(this.message, t("seedFileLoaded", { file: file.name }));
	}

	private async reveal(): Promise<void> {
		say(this.message, "");
		const given = $input("#reveal-seed").value;
		if (given === "") {
			say(this.message, t("seedEmpty"), "error");
			$input("#reveal-seed").focus();
			return;
		}
		// Checked here first: the same rule as the server's (the seed hashed exactly as given); spaces or
		// a line break around a pasted seed are dropped only when that is what makes it match.
		const committed = this.draw?.seedHash ?? null;
		let seed = given;
		let trimmed = false;
		if (committed && (await sha256Hex(given)) !== committed) {
			if (given.trim() !== given && (await sha256Hex(given.trim())) === committed) {
				seed = given.trim();
				trimmed = true;
			} else {
				say(this.message, t("seedMismatch"), "error");
				return;
			}
		}
		const beacon = $input("#reveal-beacon").value;
		const ok = await confirmAction({
			text: t("confirmReveal", { name: this.event?.name ?? this.host.eventId() }),
			detail: t("confirmRevealDetail"),
			action: $button("#reveal-form button[type=submit]").textContent ?? t("reveal"),
		});
		if (!ok) return;
		try {
			const { draw } = await adminApi<{ draw: PublicDraw }>("POST", `${eventPath(this.host.eventId())}/draw/reveal`, {
				seed,
				...(beacon === "" ? {} : { beacon }),
			});
			this.draw = draw;
			$input("#reveal-seed").value = "";
			await this.host.reload();
			const done = t("revealedMsg", { n: draw.order?.length ?? draw.buyerCount ?? 0 });
			say(this.message, trimmed ? `${t("seedTrimmed")} ${done}` : done);
		} catch (err) {
			say(this.message, describeError(err), "error");
		}
	}
}
