// Buyer login and logout. One live session per buyer and event: a new login revokes the old one.
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { findAccessCodeHash } from "../../db/buyers";
import { buyerQuotaOf } from "../../durable-objects/addresses";
import { LOGIN_FAILURE_WINDOW_MS, LOGIN_FAILURES_ALLOWED } from "../../durable-objects/buyer-quota";
import { TokenBuckets } from "../../lib/token-bucket";
import type { AppEnv } from "../http/app-env";
import { bearerToken, SESSION_COOKIE } from "../http/credentials";
import { ApiError } from "../http/errors";
import { BUYER_BODY_LIMIT, idSchema, readJson } from "../http/validation";
import { noteLogin } from "../middleware/buyer-session";
import { addressRateLimit } from "../middleware/rate-limit";
import { existingEvent } from "../middleware/require-event";
import { accessCodeMatches } from "../tokens/access-codes";
import { issueSessionToken, signingKeyFor, verifySessionToken } from "../tokens/session-token";

export const loginBody = z.strictObject({
	eventId: idSchema,
	buyerId: idSchema,
	accessCode: z.string().min(1).max(64),
});

const unknownBuyerGuesses = new TokenBuckets();

function badCredentials(): ApiError {
	return new ApiError("bad_credentials", "The buyer id or access code is wrong.");
}

function tooManyAttempts(retryAfter: number): ApiError {
	return new ApiError("rate_limited", "Too many wrong access codes for this buyer; try again later.", { retryAfter });
}

function unknownBuyerAttempt(key: string): ApiError {
	const taken = unknownBuyerGuesses.take(key, {
		burst: LOGIN_FAILURES_ALLOWED,
		ratePerSecond: LOGIN_FAILURES_ALLOWED / (LOGIN_FAILURE_WINDOW_MS / 1000),
	});
	return taken.ok ? badCredentials() : tooManyAttempts(taken.retryAfterSeconds);
}

export const auth = new Hono<AppEnv>()
	.post("/login", addressRateLimit(), async (c) => {
		const { eventId, buyerId, accessCode } = await readJson(c, loginBody, BUYER_BODY_LIMIT);
		await existingEvent(c.env, eventId);
		const hash = await findAccessCodeHash(c.env, eventId, buyerId);
		const matches = await accessCodeMatches(c.env, eventId, buyerId, accessCode, hash ?? undefined);
		const ttlMs = Number(c.env.SESSION_TTL_SECONDS) * 1000;
		// Unknown buyers have no object; their guesses are limited here, at the same rate.
		if (hash === null) throw unknownBuyerAttempt(`${eventId}:${buyerId}`);
		const outcome = await buyerQuotaOf(c.env, eventId, buyerId).login(eventId, buyerId, ttlMs, matches);
		if (outcome.kind === "locked") throw tooManyAttempts(outcome.retryAfterSeconds);
		if (outcome.kind === "bad_credentials") throw badCredentials();
		const { sessionId, expiresAt } = outcome;
		noteLogin({ eventId, buyerId, sessionId, expiresAt });
		const secret = c.env.SESSION_SECRET;
		const sessionToken = await issueSessionToken(secret, { eventId, buyerId, sessionId, expiresAt });
		setCookie(c, SESSION_COOKIE, sessionToken, {
			httpOnly: true,
			secure: true,
			sameSite: "Strict",
			path: "/",
			maxAge: Math.floor(ttlMs / 1000),
		});
		return c.json({
			buyerId,
			eventId,
			sessionToken,
			signingKey: await signingKeyFor(secret, sessionId),
			expiresAt: new Date(expiresAt).toISOString(),
		});
	})
	.post("/logout", async (c) => {
		// Idempotent: whatever was sent, the caller ends up logged out.
		const token = bearerToken(c.req.header("authorization")) ?? getCookie(c, SESSION_COOKIE);
		const claims = token ? await verifySessionToken(c.env.SESSION_SECRET, token) : null;
		if (claims) await buyerQuotaOf(c.env, claims.eventId, claims.buyerId).logout(claims.sessionId);
		deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true, httpOnly: true, sameSite: "Strict" });
		return c.body(null, 204);
	});
