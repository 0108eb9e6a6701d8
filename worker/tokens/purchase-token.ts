// Purchase tokens: issued once the event is open, bound to event, buyer and session, expiring, and
// verified at the edge with one HMAC (no round trip).
import { openToken, signToken } from "../../lib/signed-token";
import type { SessionClaims } from "./session-token";

export function issuePurchaseToken(secret: string, c: SessionClaims): Promise<string> {
	return signToken(secret, "purchase", { e: c.eventId, b: c.buyerId, s: c.sessionId, x: c.expiresAt });
}

/** True only for an unexpired token of this very session, buyer and event. */
export async function purchaseTokenValid(
	secret: string,
	token: string | undefined,
	session: SessionClaims,
	eventId: string,
	now = Date.now(),
): Promise<boolean> {
	const p = token ? await openToken(secret, "purchase", token) : null;
	return (
		p !== null &&
		p.e === eventId &&
		p.e === session.eventId &&
		p.b === session.buyerId &&
		p.s === session.sessionId &&
		typeof p.x === "number" &&
		p.x > now
	);
}
