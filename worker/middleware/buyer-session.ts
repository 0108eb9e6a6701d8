// Buyer authentication: the kp_session cookie (browsers) or `Authorization: Bearer` (apps, scripts).
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../errors";
import type { AppEnv } from "../hono-env";
import { type SessionClaims, verifySessionToken } from "../session-token";

export const SESSION_COOKIE = "kp_session";

export interface BuyerSession extends SessionClaims {
	/** How the token came: cookie-authenticated mutations get an Origin check. */
	via: "cookie" | "bearer";
}

export function bearerToken(header: string | undefined): string | undefined {
	const match = header?.match(/^Bearer\s+(\S+)$/i);
	return match?.[1];
}

/** Verifies the token's signature and expiry; revocation is the buyer object's call. */
export function buyerSession() {
	return createMiddleware<AppEnv>(async function buyerSession(c, next) {
		const bearer = bearerToken(c.req.header("authorization"));
		const token = bearer ?? getCookie(c, SESSION_COOKIE);
		if (!token) throw new ApiError("unauthenticated", "Log in first: no session was sent.");
		const claims = await verifySessionToken(c.env.SESSION_SECRET, token);
		if (!claims) throw new ApiError("unauthenticated", "The session is invalid or has expired; log in again.");
		c.set("session", { ...claims, via: bearer ? "bearer" : "cookie" });
		await next();
	});
}

export function sessionRevoked(): ApiError {
	return new ApiError("session_revoked", "This session was ended by a newer login on another device.");
}
