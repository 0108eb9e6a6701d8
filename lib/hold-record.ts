// The hold: what the inventory objects grant, the buyer objects count and D1 records as an order.

export type HoldStatus = "held" | "confirmed" | "released" | "expired" | "cancelled";

/** Whether a hold occupies a unit of stock and a unit of the buyer's quota. */
export function isActive(status: HoldStatus): boolean {
	return status === "held" || status === "confirmed";
}

/** A hold as the inventory object knows it; also the body of an `orders` queue message. */
export interface HoldRecord {
	holdId: string;
	eventId: string;
	listingId: string;
	buyerId: string;
	status: HoldStatus;
	priceCents: number;
	/** Epoch ms; null once the hold no longer expires (confirmed or ended). */
	expiresAt: number | null;
	createdAt: number;
	updatedAt: number;
	/** Increases with every status change of this hold, so stale deliveries can be ignored. */
	version: number;
}

/** The part of a hold the live feed needs (durable-objects/feed-input.ts); a `HoldRecord` is one. */
export interface HoldChange {
	holdId: string;
	listingId: string;
	status: HoldStatus;
	version: number;
}

export type NotificationKind = "granted" | "confirmed" | "expired";

export interface NotificationMessage {
	kind: NotificationKind;
	holdId: string;
	eventId: string;
	listingId: string;
	buyerId: string;
	expiresAt: number | null;
	/**
	 * The hold's version this notice speaks for. The SMS goes out only while D1's order is at this
	 * version: a notice overtaken by a newer state (reordered, redelivered, replayed) says nothing.
	 */
	version: number;
}

/** Which status changes a buyer hears about by SMS. */
export function notificationKind(status: HoldStatus): NotificationKind | null {
	switch (status) {
		case "held":
			return "granted";
		case "confirmed":
			return "confirmed";
		case "expired":
			return "expired";
		default:
			return null;
	}
}

export function isoOrNull(ms: number | null): string | null {
	return ms === null ? null : new Date(ms).toISOString();
}
