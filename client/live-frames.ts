// The live feed's frames (API.md "Live updates", docs/LIVE.md), one type for both ends of the socket:
// the hub builds every frame it sends with `satisfies` these types (durable-objects/dashboard-hub.ts)
// and the pages read them (web/shared/live.ts), so the two cannot disagree about a field.
// Server → client only; the client's sole message is the text "ping", answered by the text "pong".

/** API.md: stock left → available; none left but not all sold → held; all sold → sold. */
export type ListingStatus = "available" | "held" | "sold";

/** One listing's availability: an entry of the snapshot, and the body of a listing frame. */
export interface ListingState {
	id: string;
	available: number;
	status: ListingStatus;
}

/** The counters everybody sees. */
export interface PublicStats {
	sold: number;
	held: number;
	available: number;
}

/** The counters staff see: the public ones and the claim traffic. */
export interface StaffStats extends PublicStats {
	claimsPerSecond: number;
	/** Running totals per error code since the hub was created (codes as the worker counted them). */
	rejected: Record<string, number>;
	/** Open buyer sockets. */
	online: number;
}

/** First frame on every connection; staff get StaffStats, buyers PublicStats. */
export interface SnapshotFrame {
	type: "snapshot";
	listings: ListingState[];
	stats: PublicStats | StaffStats;
}

/** A listing's availability changed (within 1 s of the change). */
export interface ListingFrame extends ListingState {
	type: "listing";
}

/**
 * Wire version 2 (a client that connected with `?v=2`, docs/LIVE.md): every listing change since the
 * previous frame, in one frame — at most one a flush interval per socket, still within 1 s of a change.
 * A client that did not ask gets API.md's one `listing` frame per change instead.
 */
export interface ListingsFrame {
	type: "listings";
	changes: ListingState[];
}

/** The query parameter and value a client sends to get wire version 2. */
export const LIVE_V2_QUERY = { name: "v", value: "2" } as const;

/** Staff only, at least every 2 s while the event is open (the hub: every second while staff are connected). */
export interface StatsFrame extends StaffStats {
	type: "stats";
}

/** The one answer to a client that sent anything but "ping" (docs/LIVE.md); pages never cause it. */
export interface ErrorFrame {
	type: "error";
	message: string;
}

/** The operator's message to every buyer of the event (issue 13); null when it was taken down. */
export interface Announcement {
	text: string;
	postedAt: string;
}

/** Sent to every page on the event's feed when the operator posts or clears the announcement. */
export interface AnnouncementFrame {
	type: "announcement";
	announcement: Announcement | null;
}

export type LiveFrame = SnapshotFrame | ListingFrame | ListingsFrame | StatsFrame | ErrorFrame | AnnouncementFrame;
