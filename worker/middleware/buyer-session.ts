// Buyer authentication: the kp_session cookie (browsers) or `Authorization: Bearer` (apps, scripts).
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/app-env";
import { bearerToken, SESSION_COOKIE } from "../http/credentials";
import { ApiError, sessionRevoked } from "../http/errors";
import { type SessionClaims, verifySessionToken } from "../tokens/session-token";
import { buyerRateLimit } from "./rate-limit";

export interface BuyerSession extends SessionClaims {
	/** How the token came: cookie-authenticated mutations get an Origin check. */
	via: "cookie" | "bearer";
}

declare module "hono" {
	interface ContextVariableMap {
		/** Set by buyerSession: the verified session of the buyer making the request. */
		session: BuyerSession;
	}
}

/**
 * The newest session this isolate has seen each buyer log in with. It can only ever *reject* an
 * older session early (the buyer object stays the authority), so a stale entry costs nothing.
 */
const newestSessions = new Map<string, { sessionId: string; expiresAt: number }>();

export function noteLogin(claims: SessionClaims): void {
	const key = `${claims.eventId}:${claims.buyerId}`;
	const known = newestSessions.get(key);
	if (known && known.expiresAt >= claims.expiresAt) return;
	if (newestSessions.size >= 50_000) newestSessions.clear();
	newestSessions.set(key, { sessionId: claims.sessionId, expiresAt: claims.expiresAt });
}

function knownSuperseded(claims: SessionClaims): boolean {
	const known = newestSessions.get(`${claims.eventId}:${claims.buyerId}`);
	return known !== undefined && known.sessionId !== claims.sessionId && known.expiresAt > claims.expiresAt;
}

/**
 * Verifies the token's signature and expiry, then the buyer's rate limit; revocation is the buyer
 * object's call.
 */
export function buyerSession() {
	return createMiddleware<AppEnv>(async function buyerSession(c, next) {
		const bearer = bearerToken(c.req.header("authorization"));
		const token = bearer ?? getCookie(c, SESSION_COOKIE);
		if (!token) throw new ApiError("unauthenticated", "Log in first: no session was sent.");
		const claims = await verifySessionToken(c.env.SESSION_SECRET, token);
		if (!claims) throw new ApiError("unauthenticated", "The session is invalid or has expired; log in again.");
		if (knownSuperseded(claims)) throw sessionRevoked();
		c.set("session", { ...claims, via: bearer ? "bearer" : "cookie" });
		await buyerRateLimit(c, next);
	});
}
