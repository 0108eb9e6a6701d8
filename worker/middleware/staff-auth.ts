// Staff authentication and roles for every /api/admin route (API.md "Roles", v1.1 "Staff accounts").
// `Authorization: Bearer <token>` is either ADMIN_TOKEN, the bootstrap operator credential (compared in
// constant time, no I/O, so it works even while D1 is down), or a staff account's token, whose hash is
// looked up in D1 on every request. No cache, on purpose: a revoked token must be refused on the very
// next request, from every isolate, and one indexed read per staff request is cheap (staff make a few
// requests a second at most; buyers never come here).
//
// Then the role: the route Hono matched is looked up in the route-role table (http/admin-roles.ts),
// and a role below the route's is refused before any handler runs.
import { createMiddleware } from "hono/factory";
import { findActiveStaffByTokenHash, type StaffAccount } from "../../db/staff";
import { timingSafeEqualText } from "../../lib/crypto";
import { roleAllows, type StaffIdentity, type StaffRole } from "../../lib/staff-roles";
import { type AdminRouteRoles, adminRouteKey, requiredRole } from "../http/admin-roles";
import type { AppEnv } from "../http/app-env";
import { bearerToken } from "../http/credentials";
import { ApiError } from "../http/errors";
import { verifySessionToken } from "../tokens/session-token";
import { hashStaffToken, looksLikeStaffToken } from "../tokens/staff-token";

declare module "hono" {
	interface ContextVariableMap {
		/** Set by staffAuth: who is acting (the ledger's actor) and with which role. */
		staff: StaffIdentity;
	}
}

export interface StaffAuthOptions {
	/** "METHOD /api/admin/..." → the least role that may call it; a route not named is operator-only. */
	routeRoles: AdminRouteRoles;
}

const ROLES: readonly StaffRole[] = ["viewer", "sales", "operator"];
const ROUTE_KEY = /^(GET|POST|PUT|PATCH|DELETE) \/api\/admin\/\S+$/;

/** Seconds a staff client waits before retrying while D1 cannot be read. */
const D1_RETRY_AFTER_SECONDS = 5;

export function staffAuth(options: StaffAuthOptions) {
	// Bad options throw at setup: a misspelt key or role would otherwise silently make a route
	// operator-only (or worse, be read as some other route).
	for (const [key, role] of Object.entries(options.routeRoles)) {
		if (!ROUTE_KEY.test(key)) throw new Error(`staffAuth: "${key}" is not "METHOD /api/admin/..."`);
		if (!ROLES.includes(role)) throw new Error(`staffAuth: "${key}" names no role (${String(role)})`);
	}
	return createMiddleware<AppEnv>(async function staffAuth(c, next) {
		const staff = await authenticate(c.env, bearerToken(c.req.header("authorization")));
		const needed = requiredRole(options.routeRoles, adminRouteKey(c));
		if (!roleAllows(staff.role, needed)) {
			throw new ApiError("forbidden", `This needs the ${needed} role; this account is ${staff.role}.`, {
				details: { role: staff.role, needed },
			});
		}
		c.set("staff", staff);
		await next();
	});
}

async function authenticate(env: Env, token: string | undefined): Promise<StaffIdentity> {
	if (!token) throw new ApiError("unauthenticated", "Staff routes need Authorization: Bearer <token>.");
	const admin = env.ADMIN_TOKEN;
	if (!admin) throw new Error("ADMIN_TOKEN is not configured");
	if (await timingSafeEqualText(token, admin)) return { actor: "admin", name: "ADMIN_TOKEN", role: "operator" };
	if (looksLikeStaffToken(token)) {
		const account = await activeAccount(env, token);
		if (account) return { actor: `staff:${account.id}`, name: account.name, role: account.role };
	} else if (await verifySessionToken(env.SESSION_SECRET, token)) {
		// docs/API.md since v1: a buyer's session here is a known person without a staff role (403), as
		// opposed to a token nobody issued or one that was revoked (401).
		throw new ApiError("forbidden", "A buyer's session may not use staff routes.");
	}
	throw new ApiError("unauthenticated", "This token is not a staff token, or it was revoked.");
}

/** The account of a staff token; D1 failing is a 503 (retry), never a 500 or a stack. */
async function activeAccount(env: Env, token: string): Promise<StaffAccount | null> {
	const hash = await hashStaffToken(token);
	try {
		return await findActiveStaffByTokenHash(env, hash);
	} catch (err) {
		console.error("staff lookup failed", { error: err instanceof Error ? err.message : String(err) });
		throw new ApiError("degraded", "Staff accounts cannot be checked right now; please retry.", {
			retryAfter: D1_RETRY_AFTER_SECONDS,
		});
	}
}
