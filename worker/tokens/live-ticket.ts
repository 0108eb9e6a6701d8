// Live tickets: staff pages cannot set an Authorization header on a WebSocket, so an operator first
// trades the admin token for a short-lived ticket (POST /api/admin/events/:eventId/live-ticket) and
// puts it in the socket's URL. A ticket is signed by the worker (no storage to issue one), names one
// event, lives LIVE_TICKET_TTL_MS, and is redeemed once by the event's hub.
import { randomId } from "../../lib/crypto";
import { openToken, signToken } from "../../lib/signed-token";

export const LIVE_TICKET_TTL_MS = 60_000;
const LABEL = "live-ticket";

export interface LiveTicket {
	eventId: string;
	ticketId: string;
	/** Epoch ms. */
	expiresAt: number;
}

export async function issueLiveTicket(secret: string, eventId: string, now = Date.now()) {
	const claims: LiveTicket = { eventId, ticketId: randomId("t", 20), expiresAt: now + LIVE_TICKET_TTL_MS };
	const ticket = await signToken(secret, LABEL, { e: claims.eventId, t: claims.ticketId, x: claims.expiresAt });
	return { ticket, claims };
}

/** Null for anything forged, malformed or expired. */
export async function verifyLiveTicket(secret: string, ticket: string, now = Date.now()): Promise<LiveTicket | null> {
	const raw = await openToken(secret, LABEL, ticket);
	if (!raw || typeof raw.e !== "string" || typeof raw.t !== "string" || typeof raw.x !== "number") return null;
	if (raw.x <= now) return null;
	return { eventId: raw.e, ticketId: raw.t, expiresAt: raw.x };
}
