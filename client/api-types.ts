// The REST API's bodies as the callers read them (API.md and docs/API.md), declared once: the buyer
// client, the pages and the worker's public views (worker/hot-reads/catalogue.ts) all name these types,
// so a field renamed on one side is a compile error on the other. Plain types only: this file is
// bundled into the pages and must not pull in zod or anything of the worker.
import type { EventStatus, StatusMode } from "../lib/event-rules";
import type { Announcement } from "./live-frames";

export type { Announcement, EventStatus, StatusMode };

// --- buyer endpoints ---------------------------------------------------------------------------------

/** `GET /api/events/:eventId` → `{event, serverTime}`. */
export interface PublicEvent {
	id: string;
	name: string;
	startsAt: string;
	endsAt: string;
	status: EventStatus;
	currency: string;
	holdSeconds: number;
	perBuyerLimit: number;
	/** API.md v1.1: "race" (everyone from the opening) or "lottery" (entry in a drawn order, in batches). */
	mode: "race" | "lottery";
	batchSize: number;
	batchSeconds: number;
	/** API.md v1.1: seconds after a buyer's entry time at which auto-claim runs (0–3,600; default 30). */
	autoClaimDelaySeconds: number;
	/** A rehearsal (模拟开盘): the id of the real event it copies; null for a real event (extension). */
	rehearsalOf: string | null;
	/** Extension (issue 13): the operator's current message to every buyer, or null. */
	announcement: Announcement | null;
}

/** `PUT`/`GET /api/me/wishlist` (API.md v1.1): listing ids best first, and whether auto-claim is on. */
export interface Wishlist {
	listingIds: string[];
	autoClaim: boolean;
}

/** One row of `GET /api/admin/events/:eventId/wishes` → `{listings}`: the demand heat map. */
export interface WishHeat {
	id: string;
	wishes: number;
	firstChoice: number;
}

/** One unit of `GET /api/events/:eventId/listings` → `{listings, asOf}`. */
export interface Listing {
	id: string;
	building: string;
	floor: number;
	unit: string;
	layout: string;
	areaM2: number;
	priceCents: number;
	stock: number;
	available: number;
	/** Extension (issue 13): the unit's floor plan image, an https URL or a path of the site; absent if none. */
	floorPlanUrl?: string;
	/** Extension (issue 13): 朝向, one of client/listing-details.ts ORIENTATIONS; absent if not given. */
	orientation?: string;
}

/** `POST /api/auth/login` → the session (also sent as the kp_session cookie). */
export interface Session {
	buyerId: string;
	eventId: string;
	sessionToken: string;
	signingKey: string;
	expiresAt: string;
	/** Extension (issue 13): the buyer's name as registered, null if none (older servers: absent). */
	name?: string | null;
}

/** `POST /api/events/:eventId/purchase-token`. */
export interface PurchaseToken {
	purchaseToken: string;
	expiresAt: string;
}

/** A hold as its buyer sees it: claims, cancel and `GET /api/me/holds` → `{holds}`. */
export interface Hold {
	holdId: string;
	listingId: string;
	status: string;
	/** Null once the hold no longer expires (confirmed or ended). */
	expiresAt: string | null;
	/** Present (true) on a hold that auto-claim made for the buyer (docs/API.md, an extension). */
	auto?: true;
	/** Extension (issue 13): when staff confirmed the deposit; only on a confirmed hold. */
	confirmedAt?: string;
}

// --- operator endpoints ------------------------------------------------------------------------------

/** The event as `PUT`/`GET /api/admin/events/:eventId` and `…/status` answer it: the public one and more. */
export interface AdminEvent extends PublicEvent {
	statusMode: StatusMode;
	openedAt: string | null;
	/** When the first claim froze the event's terms (listings, buyers, startsAt, holdSeconds, perBuyerLimit, currency). */
	termsFrozenAt: string | null;
	/** The lottery draw: none, committed or drawn (the draw itself: GET /api/events/:eventId/draw). */
	drawStatus: "none" | "committed" | "drawn";
	createdAt: string;
	updatedAt: string;
}

/** `GET /api/admin/events/:eventId` → `{event, counts}`. */
export interface EventCounts {
	listings: number;
	available: number;
	held: number;
	confirmed: number;
	buyers: number;
}

/** One row of `GET /api/admin/events/:eventId/orders` → `{orders, nextCursor}`. */
export interface Order {
	holdId: string;
	listingId: string;
	buyerId: string;
	status: string;
	priceCents: number;
	createdAt: string;
	updatedAt: string;
}

/** The degradation switches, `GET`/`PUT /api/admin/events/:eventId/flags` → `{flags}`. */
export interface Switches {
	/** Claims and purchase tokens answer 503 degraded (the event itself stays open). */
	claimsPaused: boolean;
	/** Notifications are recorded but not sent to the SMS provider. */
	smsOff: boolean;
	/** Buyers' live WebSockets are refused (staff keep theirs). */
	buyerLiveOff: boolean;
}

/** One row of `GET /api/admin/events/:eventId/notifications` → `{notifications, nextCursor}`. */
export interface OutboxNotification {
	id: string;
	kind: string;
	holdId: string;
	buyerId: string;
	phone: string | null;
	body: string;
	provider: string;
	createdAt: string;
}

/** `POST /api/admin/events/:eventId/live-ticket`: one staff WebSocket connection. */
export interface LiveTicket {
	ticket: string;
	expiresAt: string;
}

/** What every paged list adds to its rows (keyset pagination; null on the last page). */
export interface Paged {
	nextCursor: string | null;
}

// --- lottery-ordered events (API.md v1.1) -------------------------------------------

/** `GET /api/events/:eventId/draw` → `{draw}`: the public commitment, then the reveal. Null: not known yet. */
export interface PublicDraw {
	status: "none" | "committed" | "drawn";
	seedHash: string | null;
	buyersHash: string | null;
	buyerCount: number | null;
	committedAt: string | null;
	seed: string | null;
	beacon: string | null;
	drawnAt: string | null;
	/** Buyer ids, first to enter first; null until drawn. */
	order: string[] | null;
}

/** `GET /api/me/turn`: 0-based position and batch (null in a race event, or before the reveal). */
export interface Turn {
	mode: "race" | "lottery";
	position: number | null;
	batch: number | null;
	entryAt: string | null;
}
