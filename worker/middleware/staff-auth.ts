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
import { TokenBuckets } from "../../lib/token-bucket";
import { type AdminRouteRoles, adminRouteKey, requiredRole } from "../http/admin-roles";
import type { AppEnv } from "../http/app-env";
import { bearerToken } from "../http/credentials";
import { ApiError, D1_RETRY_AFTER_SECONDS } from "../http/errors";
import { verifySessionToken } from "../tokens/session-token";
import { hashStaffToken, looksLikeStaffToken } from "../tokens/staff-token";
import { clientAddress } from "./rate-limit";

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

/** Staff tokens that name no active account, per client address and isolate: a burst, then one per 5 s. */
const FAILED_LOOKUP_LIMITS = { burst: 20, ratePerSecond: 0.2 };
const failedLookups = new TokenBuckets(10_000);
/** Hashes of well-formed tokens that named no active account, oldest first (a Set keeps insertion order). */
const knownInactive = new Set<string>();
const KNOWN_INACTIVE_MAX = 10_000;

const ROLES: readonly StaffRole[] = ["viewer", "sales", "operator"];
const ROUTE_KEY = /^(GET|POST|PUT|PATCH|DELETE) \/api\/admin\/\S+$/;

export function staffAuth(options: StaffAuthOptions) {
	// Bad options throw at setup: a misspelt key or role would otherwise silently make a route
	// operator-only (or worse, be read as some other route).
	for (const [key, role] of Object.entries(options.routeRoles)) {
		if (!ROUTE_KEY.test(key)) throw new Error(`staffAuth: "${key}" is not "METHOD /api/admin/..."`);
		if (!ROLES.includes(role)) throw new Error(`staffAuth: "${key}" names no role (${String(role)})`);
	}
	return createMiddleware<AppEnv>(async function staffAuth(c, next) {
		const staff = await authenticate(c.env, bearerToken(c.req.header("authorization")), clientAddress(c));
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

async function authenticate(env: Env, token: string | undefined, address: string): Promise<StaffIdentity> {
	if (!token) throw new ApiError("unauthenticated", "Staff routes need Authorization: Bearer <token>.");
	const admin = env.ADMIN_TOKEN;
	if (!admin) throw new Error("ADMIN_TOKEN is not configured");
	if (await timingSafeEqualText(token, admin)) return { actor: "admin", name: "ADMIN_TOKEN", role: "operator" };
	if (looksLikeStaffToken(token)) {
		// Each well-formed token costs a D1 read. A token once found inactive stays inactive (revoked
		// accounts are never restored; tokens are only ever made by the server), so it is remembered and
		// refused without a read: a revoked colleague's dashboard that keeps polling costs nothing and
		// uses up nobody's failures. Tokens never seen before, in a loop from one address, are refused
		// before the read once that address has used up its failures (a 256-bit token cannot be guessed;
		// what this guards is D1).
		const hash = await hashStaffToken(token);
		if (!knownInactive.has(hash)) {
			const spare = failedLookups.peek(address, FAILED_LOOKUP_LIMITS);
			if (!spare.ok) {
				throw new ApiError("rate_limited", "Too many unknown staff tokens from this address.", {
					retryAfter: spare.retryAfterSeconds,
				});
			}
			const account = await activeAccount(env, hash);
			if (account) return { actor: `staff:${account.id}`, name: account.name, role: account.role };
			rememberInactive(hash);
			failedLookups.take(address, FAILED_LOOKUP_LIMITS);
		}
	} else if (await verifySessionToken(env.SESSION_SECRET, token)) {
		// docs/API.md since v1: a buyer's session here is a known person without a staff role (403), as
		// opposed to a token nobody issued or one that was revoked (401).
		throw new ApiError("forbidden", "A buyer's session may not use staff routes.");
	}
	throw new ApiError("unauthenticated", "This token is not a staff token, or it was revoked.");
}

function rememberInactive(hash: string): void {
	knownInactive.add(hash);
	if (knownInactive.size > KNOWN_INACTIVE_MAX) {
		const oldest = knownInactive.values().next();
		if (!oldest.done) knownInactive.delete(oldest.value);
	}
}

/** The account of a staff token's hash; D1 failing is a 503 (retry), never a 500 or a stack. */
async function activeAccount(env: Env, hash: string): Promise<StaffAccount | null> {
	try {
		return await findActiveStaffByTokenHash(env, hash);
	} catch (err) {
		console.error("staff lookup failed", { error: err instanceof Error ? err.message : String(err) });
		throw new ApiError("degraded", "Staff accounts cannot be checked right now; please retry.", {
			retryAfter: D1_RETRY_AFTER_SECONDS,
		});
	}
}
