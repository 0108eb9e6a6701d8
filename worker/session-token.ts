// Stateless session tokens: the edge verifies them with one HMAC and no round trip. Revocation (single
// device) is checked by the buyer's object, which every session-authenticated route consults anyway.
import { hmacBase64url, timingSafeEqualText } from "../lib/crypto";
import { base64urlDecode, base64urlEncode, utf8 } from "../lib/encoding";

export interface SessionClaims {
	eventId: string;
	buyerId: string;
	sessionId: string;
	/** Epoch ms. */
	expiresAt: number;
}

export async function issueSessionToken(secret: string, claims: SessionClaims): Promise<string> {
	const payload = base64urlEncode(
		utf8(JSON.stringify({ e: claims.eventId, b: claims.buyerId, s: claims.sessionId, x: claims.expiresAt })),
	);
	return `${payload}.${await hmacBase64url(secret, `session:${payload}`)}`;
}

/** Null for anything forged, malformed or expired; callers answer 401 unauthenticated. */
export async function verifySessionToken(
	secret: string,
	token: string,
	now = Date.now(),
): Promise<SessionClaims | null> {
	const [payload, signature, ...rest] = token.split(".");
	if (!payload || !signature || rest.length > 0 || token.length > 1024) return null;
	const expected = await hmacBase64url(secret, `session:${payload}`);
	if (!(await timingSafeEqualText(signature, expected))) return null;
	const bytes = base64urlDecode(payload);
	if (!bytes) return null;
	try {
		const raw = JSON.parse(new TextDecoder().decode(bytes)) as { e?: unknown; b?: unknown; s?: unknown; x?: unknown };
		if (typeof raw.e !== "string" || typeof raw.b !== "string" || typeof raw.s !== "string") return null;
		if (typeof raw.x !== "number" || raw.x <= now) return null;
		return { eventId: raw.e, buyerId: raw.b, sessionId: raw.s, expiresAt: raw.x };
	} catch {
		return null;
	}
}

/** The per-session key a client signs claims and cancels with (see docs/SIGNING.md). */
export function signingKeyFor(secret: string, sessionId: string): Promise<string> {
	return hmacBase64url(secret, `signing-key:${sessionId}`);
}
