// Buyer login and logout. One live session per buyer and event: a new login revokes the old one.
//
// Guessing is limited per address and per (address, buyer) across isolates (the LOGIN_* Rate Limiting
// bindings), never per buyer alone: a buyer-wide lockout is a weapon anyone can aim at a victim (issue
// 10), and no one else's guesses ever refuse the right code sent from the buyer's own address. A wrong
// code and an unknown buyer id take the same path — one D1 read, one HMAC, no object — so the status,
// code, message, Retry-After and time of their answers are the same (docs/THREATS.md).
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { findAccessCodeHash } from "../../db/buyers";
import { buyerQuotaOf } from "../../durable-objects/addresses";
import type { AppEnv } from "../http/app-env";
import { bearerToken, SESSION_COOKIE } from "../http/credentials";
import { ApiError } from "../http/errors";
import { BUYER_BODY_LIMIT, idSchema, readJson, requireJsonBody } from "../http/validation";
import { noteLogin } from "../middleware/buyer-session";
import { addressRateLimit, clientAddress } from "../middleware/rate-limit";
import { existingEvent } from "../middleware/require-event";
import { accessCodeMatches } from "../tokens/access-codes";
import { issueSessionToken, signingKeyFor, verifySessionToken } from "../tokens/session-token";

export const loginBody = z.strictObject({
	eventId: idSchema,
	buyerId: idSchema,
	accessCode: z.string().min(1).max(64),
});

/** The period of both login limiters (wrangler.toml), so the Retry-After of every login 429. */
export const LOGIN_LIMIT_PERIOD_SECONDS = 60;

function badCredentials(): ApiError {
	return new ApiError("bad_credentials", "The buyer id or access code is wrong.");
}

/**
 * Counts this attempt per address and per (address, event, buyer) and refuses it when either is spent.
 * Every attempt counts, before the code is looked at, so a refusal says nothing about the code or the
 * buyer, and the limiters are asked the same way whether the buyer exists or not.
 */
async function limitLoginAttempts(env: Env, address: string, eventId: string, buyerId: string): Promise<void> {
	const [perAddress, perPair] = await Promise.all([
		env.LOGIN_ADDRESS_LIMITER.limit({ key: address }),
		env.LOGIN_GUESS_LIMITER.limit({ key: `${address}|${eventId}|${buyerId}` }),
	]);
	if (!perAddress.success || !perPair.success) {
		throw new ApiError("rate_limited", "Too many login attempts from this address; try again later.", {
			retryAfter: LOGIN_LIMIT_PERIOD_SECONDS,
		});
	}
}

export const auth = new Hono<AppEnv>()
	.post("/login", addressRateLimit(), async (c) => {
		// JSON only: a hostile page can make a browser POST text/plain cross-site without a preflight.
		requireJsonBody(c);
		const { eventId, buyerId, accessCode } = await readJson(c, loginBody, BUYER_BODY_LIMIT);
		await limitLoginAttempts(c.env, clientAddress(c), eventId, buyerId);
		const event = await existingEvent(c.env, eventId);
		const hash = await findAccessCodeHash(c.env, eventId, buyerId);
		// A rehearsal's buyers log in with their real event's codes (db/rehearsals.ts copies the hashes).
		const codeEventId = event.rehearsalOf ?? eventId;
		const matches = await accessCodeMatches(c.env, codeEventId, buyerId, accessCode, hash ?? undefined);
		// Known or not, a wrong code ends here: no object is asked or created for a failed attempt.
		if (!matches) throw badCredentials();
		const ttlMs = Number(c.env.SESSION_TTL_SECONDS) * 1000;
		const { sessionId, expiresAt } = await buyerQuotaOf(c.env, eventId, buyerId).login(eventId, buyerId, ttlMs);
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
