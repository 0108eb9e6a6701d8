// The one table of who may call which admin route (API.md v1.1 "Staff accounts"): each route, keyed
// exactly as it is registered in the app ("METHOD /api/admin/..."), with the least role that may call
// it. The staff middleware (middleware/staff-auth.ts) looks the matched route up here; the OpenAPI
// document prints the role beside each operation; test/staff.test.ts fails when a registered admin
// route is missing here, or a row here names no route.
//
// A route that is not in the table is operator-only: forgetting a row can refuse a viewer, never let
// one through.
import type { Context } from "hono";
import { matchedRoutes, routePath } from "hono/route";
import type { StaffRole } from "../../lib/staff-roles";

export type AdminRouteKey = `${"GET" | "POST" | "PUT" | "PATCH" | "DELETE"} /api/admin/${string}`;

/**
 * API.md: a viewer may call every GET under /api/admin/ and get live tickets (a read-only dashboard);
 * sales may also confirm and release holds; an operator (and ADMIN_TOKEN) may do everything.
 */
export const ADMIN_ROUTE_ROLES = {
	"GET /api/admin/events/:eventId": "viewer",
	"GET /api/admin/events/:eventId/orders": "viewer",
	"GET /api/admin/events/:eventId/notifications": "viewer",
	"GET /api/admin/events/:eventId/flags": "viewer",
	"GET /api/admin/events/:eventId/parity": "viewer",
	"GET /api/admin/events/:eventId/ledger": "viewer",
	"GET /api/admin/events/:eventId/ledger/export": "viewer",
	"GET /api/admin/events/:eventId/wishes": "viewer",
	"GET /api/admin/dead-letters": "viewer",
	"GET /api/admin/whoami": "viewer",
	"POST /api/admin/events/:eventId/live-ticket": "viewer",

	"POST /api/admin/holds/:holdId/confirm": "sales",
	"POST /api/admin/holds/:holdId/release": "sales",

	"PUT /api/admin/events/:eventId": "operator",
	"PUT /api/admin/events/:eventId/listings": "operator",
	"PUT /api/admin/events/:eventId/buyers": "operator",
	"POST /api/admin/events/:eventId/status": "operator",
	"POST /api/admin/events/:eventId/draw/commit": "operator",
	"POST /api/admin/events/:eventId/draw/reveal": "operator",
	"POST /api/admin/events/:eventId/rehearsal": "operator",
	"PUT /api/admin/events/:eventId/flags": "operator",
	"POST /api/admin/dead-letters/replay": "operator",
	// API.md marks the staff routes "(operator)", the GET too: who has an account, with which role, is
	// the map of which token to steal. That specific line wins over "every GET" for viewers.
	"POST /api/admin/staff": "operator",
	"GET /api/admin/staff": "operator",
	"DELETE /api/admin/staff/:staffId": "operator",
} as const satisfies Record<AdminRouteKey, StaffRole>;

export type AdminRouteRoles = Readonly<Record<string, StaffRole>>;

/**
 * The key of the route that will answer this request: the last route Hono matched (`routePath(c, -1)`
 * with its method), as registered, including a sub-router's mount path. An admin path that no route
 * matches ends on a middleware pattern (`ALL /api/admin/*`), which no row names: operator-only, so a
 * viewer learns nothing from probing for routes. A HEAD request matched a GET route and is keyed GET.
 * So register admin middleware before the routes (or on the route itself): an `app.use` added after
 * them would be the last match and make every route it covers operator-only (the matrix test fails).
 */
export function adminRouteKey(c: Context): string {
	const method = matchedRoutes(c).at(-1)?.method ?? c.req.method;
	return `${method} ${routePath(c, -1)}`;
}

/** The least role for a route key; a key the table does not name is operator-only (fail closed). */
export function requiredRole(roles: AdminRouteRoles, key: string): StaffRole {
	return Object.hasOwn(roles, key) ? (roles[key] ?? "operator") : "operator";
}
