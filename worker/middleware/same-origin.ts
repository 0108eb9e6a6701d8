// CSRF guard for cookie-authenticated mutations: a browser always sends Origin on a cross-site POST,
// so a state-changing request carrying the kp_session cookie must come from our own origin. Bearer
// requests (apps, scripts) are not exposed to CSRF and skip the check.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/app-env";
import { bearerToken, SESSION_COOKIE } from "../http/credentials";
import { ApiError } from "../http/errors";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function sameOriginForCookies() {
	return createMiddleware<AppEnv>(async function sameOriginForCookies(c, next) {
		if (SAFE_METHODS.has(c.req.method) || bearerToken(c.req.header("authorization"))) return next();
		if (!c.req.header("cookie")?.includes(`${SESSION_COOKIE}=`)) return next();
		const origin = c.req.header("origin");
		const self = new URL(c.req.url).origin;
		// Non-browser clients that send cookies but no Origin are not CSRF vectors; browsers always send it.
		if (origin !== undefined && origin !== self) {
			throw new ApiError("forbidden", "Cross-origin requests may not use the session cookie.");
		}
		return next();
	});
}
