// The HTTP API (docs/API.md): one Hono router per resource, one error shape.
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { claimCounter } from "./claim/claim-counter";
import { ADMIN_ROUTE_ROLES } from "./http/admin-roles";
import type { AppEnv } from "./http/app-env";
import { ApiError, handleError } from "./http/errors";
import { refuseDevSecretsOutsideLocal } from "./middleware/dev-secrets";
import { noStore } from "./middleware/no-store";
import { addressBucket } from "./middleware/rate-limit";
import { sameOriginForCookies } from "./middleware/same-origin";
import { staffAuth } from "./middleware/staff-auth";
import { adminDeadLetters } from "./routes/admin-dead-letters";
import { adminEvents } from "./routes/admin-events";
import { adminHolds } from "./routes/admin-holds";
import { adminLive } from "./routes/admin-live";
import { adminParity } from "./routes/admin-parity";
import { adminRehearsal } from "./routes/admin-rehearsal";
import { adminStaff } from "./routes/admin-staff";
import { adminFlags } from "./routes/admin-switches";
import { adminWishes } from "./routes/admin-wishes";
import { auth } from "./routes/auth";
import { buyerHolds } from "./routes/buyer-holds";
import { claims } from "./routes/claims";
import { publicEvents } from "./routes/events";
import { adminLedger, publicLedger } from "./routes/ledger";
import { live } from "./routes/live";
import { me } from "./routes/me";
import { openApiDocument } from "./routes/openapi";

export const app = new Hono<AppEnv>();

// Everything the worker answers is JSON: nothing in it may be framed, sniffed or run as a page. That
// includes the health check, the OpenAPI document and the 404 of a path that is no page (wrangler.toml
// sends those to the worker rather than to an asset 404 without headers).
app.use(
	"*",
	secureHeaders({
		contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
		crossOriginResourcePolicy: "same-origin",
	}),
);
// Liveness for load balancers and the benchmark's ceiling: no I/O, nothing but the headers above.
app.get("/api/health", (c) => c.json({ ok: true }));
app.get("/api/openapi.json", (c) => c.json(openApiDocument()));
app.use("/api/*", refuseDevSecretsOutsideLocal());
// Secrets (session, signing key, purchase token, live ticket) and a buyer's own data: never cached.
for (const path of [
	"/api/auth/*",
	"/api/me/*",
	"/api/holds/*",
	"/api/admin/*",
	"/api/events/:eventId/purchase-token",
	"/api/events/:eventId/claims",
]) {
	app.use(path, noStore());
}
// Claim outcomes for the staff dashboard: refusals count too, but only those of an authenticated
// buyer for its own event (claim-counter.ts), so anonymous traffic creates nothing and fakes no load.
app.use("/api/events/:eventId/claims", claimCounter());
app.use("/api/*", sameOriginForCookies());
app.use("/api/*", addressBucket);
// Every admin route: a staff token (or ADMIN_TOKEN), and a role at least the one the route-role table
// gives the matched route (a route missing from it is operator-only).
app.use("/api/admin/*", staffAuth({ routeRoles: ADMIN_ROUTE_ROLES }));
app.route("/api/admin/events", adminEvents);
app.route("/api/admin/holds", adminHolds);
app.route("/api/admin/events", adminLive);
app.route("/api/admin/events", adminFlags);
app.route("/api/admin/events", adminParity);
app.route("/api/admin/events", adminLedger);
app.route("/api/admin/events", adminWishes);
app.route("/api/admin/events", adminRehearsal);
app.route("/api/admin/dead-letters", adminDeadLetters);
app.route("/api/admin", adminStaff);
app.route("/api/auth", auth);
app.route("/api/events", publicEvents);
app.route("/api/events", publicLedger);
app.route("/api/events", claims);
app.route("/api/events", live);
app.route("/api/me", me);
app.route("/api/holds", buyerHolds);

app.notFound(() => new ApiError("not_found", "No such route.").getResponse());
app.onError(handleError);
