// Stateless session tokens: the edge verifies them with one HMAC and no round trip. Revocation (single
// device) is decided by the buyer's object, which every session-authenticated mutation consults.
import { hmacBase64url } from "../../lib/crypto";
import { openToken, signToken } from "../../lib/signed-token";

export interface SessionClaims {
	eventId: string;
	buyerId: string;
	sessionId: string;
	/** Epoch ms. */
	expiresAt: number;
}

export function issueSessionToken(secret: string, c: SessionClaims): Promise<string> {
	return signToken(secret, "session", { e: c.eventId, b: c.buyerId, s: c.sessionId, x: c.expiresAt });
}

/** Null for anything forged, malformed or expired; callers answer 401 unauthenticated. */
export async function verifySessionToken(
	secret: string,
	token: string,
	now = Date.now(),
): Promise<SessionClaims | null> {
	const p = await openToken(secret, "session", token);
	if (!p || typeof p.e !== "string" || typeof p.b !== "string" || typeof p.s !== "string") return null;
	if (typeof p.x !== "number" || p.x <= now) return null;
	return { eventId: p.e, buyerId: p.b, sessionId: p.s, expiresAt: p.x };
}

const signingKeys = new Map<string, Promise<string>>();

/**
 * The per-session key a client signs claims and cancels with (see docs/SIGNING.md). Derived, never
 * stored; remembered per isolate because every signed request of a session needs it again.
 */
export function signingKeyFor(secret: string, sessionId: string): Promise<string> {
	const memo = `${secret.length}:${sessionId}`;
	let key = signingKeys.get(memo);
	if (!key) {
		if (signingKeys.size >= 50_000) signingKeys.clear();
		key = hmacBase64url(secret, `signing-key:${sessionId}`);
		signingKeys.set(memo, key);
	}
	return key;
}
