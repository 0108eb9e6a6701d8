// The buyer page in a lottery event (摇号选房, API.md v1.1): the public draw — its commitment before the
// reveal, its seed and beacon after, with how to check it — and, once signed in, the buyer's own place,
// batch and a live countdown to its entry. It also tells the claim button what is true while the buyer
// waits ("batch 2 · claim in 04:12"), so that a press is never answered by a refusal the page could
// have foreseen, and keeps the sale "scheduled" past startsAt until the draw is revealed (the server
// does: a lottery event cannot open before its reveal).
//
// Every line is derived from the last answers (draw, turn) and the server's clock at the moment it is
// drawn; nothing is left over from an earlier state. The entry time itself follows the server: before
// the opening it is counted from startsAt (and said to be), and it is asked again whenever the
// event's status or start changes, or a refusal brings a newer one.
import type { PublicEvent } from "../../client/api-types";
import { $, h } from "../shared/dom";
import { toErrorLike } from "../shared/errors";
import { formatCountdown, formatTime, t } from "../shared/i18n";
import { fetchDraw, fetchTurn, hashGroups, type PublicDraw, type Turn } from "../shared/lottery-api";

/** What the panel needs from the page. */
export interface LotteryHost {
	eventId: string;
	event(): PublicEvent | null;
	/** The server's clock (epoch ms). */
	now(): number;
	/** Whether a buyer is signed in and inside the sale. */
	signedIn(): boolean;
	/** The sale's state as the page shows it. */
	saleState(): string;
}

/** How long a server's not_your_turn is said when the page's clock thinks the entry time has passed. */
const REFUSAL_STANDS_MS = 10_000;

/** A refused claim or token: `not_your_turn` carries the entry time at top level (API.md). */
function entryAtOf(err: unknown): string | null {
	const body = (err as { body?: { entryAt?: unknown } } | null)?.body;
	return typeof body?.entryAt === "string" ? body.entryAt : null;
}

export class LotteryPanel {
	private draw: PublicDraw | null = null;
	private turn: Turn | null = null;
	/** What the turn was asked under: a change of status or start time asks again. */
	private turnKey = "";
	private turnBusy = false;
	/** When the server last refused a claim as not this buyer's turn (page clock, ms). */
	private refusedAt = 0;
	/** turnState() when the turn panel was last drawn. */
	private turnShown = "";
	private drawBusy = false;
	private readonly root = $("#lottery-panel");

	constructor(private readonly host: LotteryHost) {}

	/** Whether the event is a lottery event (the panel shows, the rules below apply). */
	active(): boolean {
		return this.host.event()?.mode === "lottery";
	}

	/** Every event refresh (5 s): the draw until it is revealed, the turn when what it depends on moved. */
	async refresh(): Promise<void> {
		const ev = this.host.event();
		this.root.hidden = !this.active();
		if (!ev || !this.active()) return;
		if (this.draw?.status !== "drawn" && !this.drawBusy) {
			this.drawBusy = true;
			try {
				const before = this.draw?.status;
				this.draw = await fetchDraw(ev.id);
				if (before !== undefined && before !== this.draw.status) this.turnKey = "";
			} catch {
				// The panel keeps what it last knew; the page's own message reports a network failure.
			} finally {
				this.drawBusy = false;
			}
		}
		await this.refreshTurn();
		this.render();
	}

	/** Signed in (or out): the turn is the buyer's own. */
	async signedInChanged(): Promise<void> {
		this.turn = null;
		this.turnKey = "";
		await this.refreshTurn();
		this.render();
	}

	private async refreshTurn(): Promise<void> {
		const ev = this.host.event();
		if (!ev || !this.active() || !this.host.signedIn()) {
			this.turn = null;
			return;
		}
		const key = this.currentKey();
		if (key === this.turnKey || this.turnBusy) return;
		this.turnBusy = true;
		try {
			this.turn = await fetchTurn();
			this.turnKey = key;
		} catch (err) {
			// Unauthenticated: the page's own session handling says so; anything else is asked again.
			if (toErrorLike(err).code === "unauthenticated") this.turn = null;
		} finally {
			this.turnBusy = false;
		}
	}

	/** What the turn depends on: the event's status and start, and the draw's status. */
	private currentKey(): string {
		const ev = this.host.event();
		return `${ev?.status ?? ""}|${ev?.startsAt ?? ""}|${this.draw?.status ?? ""}`;
	}

	/**
	 * The entry time (server clock, epoch ms), once the draw gives the buyer a place; null while the
	 * turn is asked again after the event changed (an opening moves it: the old one is not shown).
	 */
	entryAt(): number | null {
		if (!this.turn?.entryAt || this.turnKey !== this.currentKey()) return null;
		return Date.parse(this.turn.entryAt);
	}

	/** Before the buyer's entry (or while it is not known): claims would be refused. */
	beforeEntry(): boolean {
		if (!this.active()) return false;
		const entry = this.entryAt();
		return entry === null || this.host.now() < entry;
	}

	/** Whether the drawn order has been read for this buyer and places them nowhere. */
	private notInDraw(): boolean {
		return this.draw?.status === "drawn" && this.turn !== null && this.turn.position === null;
	}

	/** A lottery event whose draw is not revealed cannot open, whatever the clock says. */
	holdsOpening(): boolean {
		return this.active() && this.draw !== null && this.draw.status !== "drawn";
	}

	/** The banner while the opening time has passed but the reveal has not come. */
	bannerText(): string | null {
		const ev = this.host.event();
		if (!ev || !this.holdsOpening() || Date.parse(ev.startsAt) > this.host.now()) return null;
		return t("statusDrawPending");
	}

	/** The claim button's words while the sale is open but this buyer may not claim yet; null otherwise. */
	claimGate(): string | null {
		if (!this.active() || this.host.saleState() !== "open") return null;
		if (this.notInDraw()) return t("claimNotInDraw");
		const entry = this.entryAt();
		if (entry === null) return t("claimTurnLoading");
		const left = entry - this.host.now();
		if (left <= 0) return null;
		return t("claimAtTurn", { batch: (this.turn?.batch ?? 0) + 1, time: formatCountdown(left) });
	}

	/** A refusal's entry time is the server's newest word: taken. */
	refused(err: unknown): void {
		this.refusedAt = Date.now();
		const entryAt = entryAtOf(err);
		if (!entryAt || !this.turn) return;
		this.turn = { ...this.turn, entryAt };
		this.render();
	}

	/**
	 * Whether "not your turn yet" is still to be said: while the entry time is ahead by the page's clock,
	 * and for a few seconds after the server said so even if the page's clock disagrees (the server's
	 * word is the later one; the sentence names the entry time, which stays true).
	 */
	refusalStands(): boolean {
		return this.beforeEntry() || Date.now() - this.refusedAt < REFUSAL_STANDS_MS;
	}

	/** The refusal's sentence, with the entry time it gave. */
	refusalText(err: unknown): string {
		const at = entryAtOf(err) ?? this.turn?.entryAt ?? null;
		return t("buyerErr_not_your_turn", { time: at ? formatTime(at) : "–" });
	}

	// --- drawing -------------------------------------------------------------------------------------

	render(): void {
		this.root.hidden = !this.active();
		if (!this.active()) return;
		this.renderTurn();
		this.renderDraw();
	}

	/** Four times a second (the page's tick): only the countdown's text changes. */
	tick(): void {
		if (!this.active()) return;
		const entry = this.entryAt();
		// Crossing the entry time, or the turn going stale or fresh, redraws the panel; else the countdown.
		if (this.turnState() !== this.turnShown) {
			this.renderTurn();
			return;
		}
		const countdown = this.root.querySelector<HTMLElement>("#turn-countdown");
		if (countdown && entry !== null) {
			countdown.textContent = t("turnCountdown", { time: formatCountdown(entry - this.host.now()) });
		}
	}

	/** What the turn panel says, in short: redrawn whenever this changes. */
	private turnState(): string {
		const entry = this.entryAt();
		return `${this.host.signedIn()}|${this.draw?.status}|${this.turnKey === this.currentKey()}|${entry}|${entry !== null && this.host.now() >= entry}|${this.host.event()?.status}`;
	}

	private renderTurn(): void {
		this.turnShown = this.turnState();
		const box = $("#lottery-turn");
		if (!this.host.signedIn()) {
			box.replaceChildren();
			return;
		}
		const turn = this.turn;
		if (this.draw?.status !== "drawn") {
			box.replaceChildren(h("p", { class: "turn-note", text: t("turnBeforeDraw") }));
			return;
		}
		if (!turn || this.turnKey !== this.currentKey()) {
			box.replaceChildren(h("p", { class: "muted", text: t("turnLoading") }));
			return;
		}
		if (turn.position === null || turn.entryAt === null) {
			box.replaceChildren(h("p", { class: "turn-note", text: t("turnNotInDraw") }));
			return;
		}
		const ev = this.host.event();
		const total = this.draw.buyerCount ?? this.draw.order?.length ?? 0;
		const entry = Date.parse(turn.entryAt);
		const left = entry - this.host.now();
		const facts = h(
			"p",
			{ class: "turn-facts" },
			h("strong", { class: "turn-position", text: t("turnPosition", { position: turn.position + 1 }) }),
			" ",
			h("span", { text: t("turnOf", { n: total }) }),
			" · ",
			h("strong", { class: "turn-batch", text: t("turnBatch", { batch: (turn.batch ?? 0) + 1 }) }),
		);
		const when = h("p", { class: "turn-when", text: t("turnEntryAt", { time: formatTime(turn.entryAt) }) });
		if (left <= 0) {
			box.replaceChildren(facts, when, h("p", { class: "turn-entered", text: t("turnEntered") }));
			return;
		}
		const countdown = h("p", {
			id: "turn-countdown",
			class: "turn-countdown",
			role: "timer",
			text: t("turnCountdown", { time: formatCountdown(left) }),
		});
		// Before the opening the server counts from startsAt: said, since the operator may open earlier or later.
		const estimated = ev && ev.status === "scheduled" ? h("p", { class: "muted", text: t("turnEstimated") }) : null;
		box.replaceChildren(...[facts, when, countdown, estimated].filter((el) => el !== null));
	}

	private renderDraw(): void {
		const box = $("#lottery-draw");
		const draw = this.draw;
		if (!draw) {
			box.replaceChildren(h("p", { class: "muted", text: t("statusLoading") }));
			return;
		}
		if (draw.status === "none") {
			box.replaceChildren(h("p", { class: "draw-meaning", text: t("drawNone") }));
			return;
		}
		const drawn = draw.status === "drawn";
		const rows: [string, Node | string][] = [
			[t("drawBuyerCount"), String(draw.buyerCount ?? "–")],
			[t("drawCommittedAt"), draw.committedAt ? formatTime(draw.committedAt) : "–"],
			[t("drawSeedHash"), hashCode(draw.seedHash)],
			[t("drawBuyersHash"), hashCode(draw.buyersHash)],
		];
		if (drawn) {
			rows.push(
				[t("drawDrawnAt"), draw.drawnAt ? formatTime(draw.drawnAt) : "–"],
				[t("drawSeed"), h("code", { class: "draw-value", translate: "no", text: draw.seed ?? "" })],
				[
					t("drawBeacon"),
					draw.beacon ? h("code", { class: "draw-value", translate: "no", text: draw.beacon }) : t("drawNoBeacon"),
				],
			);
		}
		const summary = drawn
			? t("drawDrawnSummary", { time: draw.drawnAt ? formatTime(draw.drawnAt) : "–" })
			: t("drawCommittedSummary", {
					time: draw.committedAt ? formatTime(draw.committedAt) : "–",
					n: draw.buyerCount ?? 0,
				});
		const wasOpen = box.querySelector("details")?.open ?? false;
		const details = h(
			"details",
			{ class: "draw-details" },
			h("summary", { text: t(drawn ? "drawDetailsDrawn" : "drawDetails") }),
			h("dl", { class: "draw-facts" }, ...rows.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", {}, v)])),
			drawn ? this.verifyHint() : null,
		);
		details.open = wasOpen;
		box.replaceChildren(
			h("p", { class: "draw-status", "data-status": draw.status, text: summary }),
			h("p", { class: "draw-meaning", text: t(drawn ? "drawDrawnMeaning" : "drawCommittedMeaning") }),
			details,
		);
	}

	private verifyHint(): HTMLElement {
		const path = `/api/events/${encodeURIComponent(this.host.eventId)}/draw`;
		return h(
			"div",
			{ class: "draw-verify" },
			h("p", { text: t("drawVerifyHint") }),
			h("code", {
				class: "draw-command",
				translate: "no",
				text: `npm run verify-draw -- ${location.origin} ${this.host.eventId}`,
			}),
			h("p", {}, h("a", { href: path, target: "_blank", rel: "noopener", text: t("drawJsonLink") })),
		);
	}
}

function hashCode(hash: string | null): HTMLElement {
	const code = h("code", { class: "hash draw-hash", translate: "no" });
	code.replaceChildren(...hashGroups(hash ?? "").map((g) => h("span", { class: "hash-group", text: g })));
	return code;
}
