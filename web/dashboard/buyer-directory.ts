// Who a buyer id is, for sales staff (issue 13: "buyers appear as ids only; staff need to call them").
// The dashboard loads the event's buyers once (GET …/buyers, page by page) and again when a hold names
// a buyer it has not seen, at most every few seconds; the hold panel and the sales sheet draw a buyer
// with buyerContact(): the name, then the phone as a tap-to-call link (a viewer's masked phone is
// shown but not linked: it cannot be dialled).
import { allBuyers, type BuyerContact } from "../shared/admin-api";
import { h } from "../shared/dom";
import { t } from "../shared/i18n";

const RELOAD_AT_MOST_EVERY_MS = 3_000;

export class BuyerDirectory {
	private eventId: string | null = null;
	private buyers = new Map<string, BuyerContact>();
	private loadedAt = 0;
	private loading: Promise<void> | null = null;
	masked = false;

	/** Forget everything (another event, or signed out). */
	reset(): void {
		this.eventId = null;
		this.buyers = new Map();
		this.loadedAt = 0;
		this.loading = null;
		this.masked = false;
	}

	/** Makes sure `ids` of `eventId` are known (loads or reloads the list when one is missing). */
	async ensure(eventId: string, ids: readonly string[]): Promise<void> {
		if (this.eventId !== eventId) {
			this.reset();
			this.eventId = eventId;
		}
		const missing = ids.some((id) => !this.buyers.has(id));
		if (this.loadedAt !== 0 && (!missing || Date.now() - this.loadedAt < RELOAD_AT_MOST_EVERY_MS)) return;
		this.loading ??= allBuyers(eventId)
			.then(({ buyers, masked }) => {
				if (this.eventId !== eventId) return;
				this.buyers = buyers;
				this.masked = masked;
				this.loadedAt = Date.now();
			})
			.finally(() => {
				this.loading = null;
			});
		await this.loading;
	}

	contacts(): ReadonlyMap<string, BuyerContact> {
		return this.buyers;
	}

	get(id: string): BuyerContact | undefined {
		return this.buyers.get(id);
	}
}

/** The digits a tel: link dials ("+86 138-0000-0001" → "+8613800000001"). */
export function telHref(phone: string): string {
	return `tel:${phone.replace(/[^0-9+]/g, "")}`;
}

/** A buyer as staff read it: name, phone (a tel: link unless masked) and the id, muted. */
export function buyerContact(buyerId: string, contact: BuyerContact | undefined, masked: boolean): HTMLElement {
	const name = contact?.name ?? null;
	const phone = contact?.phone ?? null;
	const phoneEl =
		phone === null
			? h("span", { class: "muted", text: t("buyerNoPhone") })
			: masked
				? h("span", { class: "phone", text: phone })
				: h("a", {
						class: "phone tel",
						href: telHref(phone),
						text: phone,
						"aria-label": t("callBuyer", { name: name ?? buyerId, phone }),
					});
	return h(
		"span",
		{ class: "buyer-contact", "data-buyer": buyerId },
		h("span", { class: name ? "buyer-name" : "buyer-name muted", text: name ?? t("buyerNoName") }),
		" ",
		phoneEl,
		" ",
		h("span", { class: "muted buyer-id", text: buyerId }),
	);
}
