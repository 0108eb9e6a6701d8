// Staff accounts and roles (API.md v1.1 "Staff accounts"), through the real worker: an operator creates
// accounts whose token is shown once and stored only hashed; a revoked token is refused on the very
// next request; and every admin route the app registers is in the one route-role table and answers
// each kind of caller as API.md's roles say (the matrix below walks the app's own route list, so a
// route added without a row fails here).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { dbOf, schema } from "../db/client";
import { revokeStaff } from "../db/staff";
import { sha256Hex } from "../lib/crypto";
import { utf8 } from "../lib/encoding";
import { roleAllows, type StaffRole } from "../lib/staff-roles";
import { app } from "../worker/app";
import { ADMIN_ROUTE_ROLES, requiredRole } from "../worker/http/admin-roles";
import type { AppEnv } from "../worker/http/app-env";
import { handleError } from "../worker/http/errors";
import { staffAuth } from "../worker/middleware/staff-auth";
import { d1Outage } from "./d1-fault";
import { ADMIN, admin, bearer, call, claim, errorCode, json, login, seedEvent, uniqueId } from "./helpers";

interface Created {
	staffId: string;
	name: string;
	role: StaffRole;
	token: string;
}

interface Listed {
	staffId: string;
	name: string;
	role: StaffRole;
	createdAt: string;
	revokedAt: string | null;
}

const STAFF_ADDRESS = "2001:db8::57af";

function as(token: string): Record<string, string> {
	return { authorization: `Bearer ${token}`, "cf-connecting-ip": STAFF_ADDRESS };
}

async function createAccount(role: StaffRole, creator: Record<string, string> = ADMIN): Promise<Created> {
	const res = await json("POST", "/api/admin/staff", { name: `${role} ${uniqueId("p")}`, role }, creator);
	expect(res.status).toBe(200);
	return res.json<Created>();
}

async function whoami(token: string): Promise<Response> {
	return call("/api/admin/whoami", { headers: as(token) });
}

async function listed(): Promise<Listed[]> {
	const res = await admin("GET", "/api/admin/staff");
	expect(res.status).toBe(200);
	return (await res.json<{ staff: Listed[] }>()).staff;
}

describe("staff accounts", () => {
	it("an operator creates an account: 200 {staffId, name, role, token}, not cached", async () => {
		const res = await json("POST", "/api/admin/staff", { name: "  李娜  ", role: "sales" }, ADMIN);
		expect(res.status).toBe(200);
		expect(res.headers.get("cache-control")).toBe("no-store");
		const body = await res.json<Created>();
		expect(body).toEqual({
			staffId: expect.stringMatching(/^st_[A-Za-z0-9]{16}$/),
			name: "李娜",
			role: "sales",
			token: expect.stringMatching(/^kps_[A-Za-z0-9_-]{43}$/),
		});
		expect(await (await whoami(body.token)).json()).toEqual({
			actor: `staff:${body.staffId}`,
			name: "李娜",
			role: "sales",
		});
	});

	it("shows the token once: the list has the account with its times and never a token", async () => {
		const account = await createAccount("viewer");
		const res = await admin("GET", "/api/admin/staff");
		expect(res.headers.get("cache-control")).toBe("no-store");
		const text = await res.text();
		expect(text).not.toContain(account.token);
		expect(text).not.toContain("token");
		const row = (JSON.parse(text) as { staff: Listed[] }).staff.find((s) => s.staffId === account.staffId);
		expect(row).toEqual({
			staffId: account.staffId,
			name: account.name,
			role: "viewer",
			createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
			revokedAt: null,
		});
	});

	it("stores the token only as its SHA-256: no column of the row holds the token", async () => {
		const account = await createAccount("operator");
		const [row] = await dbOf(env).select().from(schema.staff).where(eq(schema.staff.id, account.staffId));
		expect(row?.tokenHash).toBe(await sha256Hex(utf8(account.token)));
		for (const value of Object.values(row ?? {})) expect(String(value)).not.toContain(account.token.slice(4));
		const raw = await env.DB.prepare("SELECT * FROM staff WHERE id = ?").bind(account.staffId).first();
		expect(JSON.stringify(raw)).not.toContain(account.token.slice(4));
	});

	it("records who created the account: ADMIN_TOKEN as admin, a staff operator as staff:<id>", async () => {
		const operator = await createAccount("operator");
		const made = await createAccount("viewer", as(operator.token));
		const rows = await dbOf(env).select().from(schema.staff).where(eq(schema.staff.id, made.staffId));
		expect(rows[0]?.createdBy).toBe(`staff:${operator.staffId}`);
		const byAdmin = await dbOf(env).select().from(schema.staff).where(eq(schema.staff.id, operator.staffId));
		expect(byAdmin[0]?.createdBy).toBe("admin");
	});

	it.each([
		["no body", undefined, "body"],
		["a missing name", { role: "viewer" }, "name"],
		["a blank name", { name: "   ", role: "viewer" }, "name"],
		["a name of 101 characters", { name: "x".repeat(101), role: "viewer" }, "name"],
		["an unknown role", { name: "A", role: "admin" }, "role"],
		["a missing role", { name: "A" }, "role"],
		["an unknown field", { name: "A", role: "viewer", token: "mine" }, "body"],
	])("refuses %s with 400 invalid_request naming the field, and creates nothing", async (_what, body, field) => {
		const before = (await listed()).length;
		const res = await json("POST", "/api/admin/staff", body, ADMIN);
		expect(res.status).toBe(400);
		const error = (await res.json<{ error: { code: string; field: string } }>()).error;
		expect(error.code).toBe("invalid_request");
		expect(error.field).toBe(field);
		expect((await listed()).length).toBe(before);
	});

	it("whoami names ADMIN_TOKEN as the admin actor with the operator role", async () => {
		const res = await call("/api/admin/whoami", { headers: ADMIN });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ actor: "admin", name: "ADMIN_TOKEN", role: "operator" });
	});
});

describe("revocation", () => {
	it("refuses the token on the very next request (401 unauthenticated); revoking again is 204", async () => {
		const ev = await seedEvent();
		const account = await createAccount("operator");
		expect((await call(`/api/admin/events/${ev.eventId}`, { headers: as(account.token) })).status).toBe(200);
		const del = await call(`/api/admin/staff/${account.staffId}`, { method: "DELETE", headers: ADMIN });
		expect(del.status).toBe(204);
		expect(await del.text()).toBe("");
		const next = await call(`/api/admin/events/${ev.eventId}`, { headers: as(account.token) });
		expect([next.status, await errorCode(next)]).toEqual([401, "unauthenticated"]);
		expect(await errorCode(await whoami(account.token))).toBe("unauthenticated");
		const again = await call(`/api/admin/staff/${account.staffId}`, { method: "DELETE", headers: ADMIN });
		expect(again.status).toBe(204);
		const row = (await listed()).find((s) => s.staffId === account.staffId);
		expect(row?.revokedAt).toEqual(expect.stringMatching(/Z$/));
	});

	it("is seen at once when another isolate revoked it: nothing is cached between requests", async () => {
		const account = await createAccount("sales");
		// Warm every cache this isolate might keep for the token, then revoke it behind the worker's back,
		// as a DELETE answered by another isolate would.
		for (let i = 0; i < 3; i++) expect((await whoami(account.token)).status).toBe(200);
		await revokeStaff(env, account.staffId, "admin", new Date().toISOString());
		const res = await whoami(account.token);
		expect([res.status, await errorCode(res)]).toEqual([401, "unauthenticated"]);
	});

	it("keeps the first revocation's time when revoked twice", async () => {
		const account = await createAccount("viewer");
		await call(`/api/admin/staff/${account.staffId}`, { method: "DELETE", headers: ADMIN });
		const first = (await listed()).find((s) => s.staffId === account.staffId)?.revokedAt;
		await call(`/api/admin/staff/${account.staffId}`, { method: "DELETE", headers: ADMIN });
		expect((await listed()).find((s) => s.staffId === account.staffId)?.revokedAt).toBe(first);
	});

	it("answers 404 not_found for an id that names no account, 400 for one that is no id", async () => {
		const unknown = await call(`/api/admin/staff/${uniqueId("st")}`, { method: "DELETE", headers: ADMIN });
		expect([unknown.status, await errorCode(unknown)]).toEqual([404, "not_found"]);
		const bad = await call("/api/admin/staff/not%20an%20id", { method: "DELETE", headers: ADMIN });
		expect([bad.status, await errorCode(bad)]).toEqual([400, "invalid_request"]);
	});

	it("a staff operator can revoke itself, and is refused from then on", async () => {
		const account = await createAccount("operator");
		const del = await call(`/api/admin/staff/${account.staffId}`, { method: "DELETE", headers: as(account.token) });
		expect(del.status).toBe(204);
		expect((await whoami(account.token)).status).toBe(401);
	});
});

describe("authentication", () => {
	it.each([
		["no Authorization header", {}, 401, "unauthenticated"],
		["a Basic credential", { authorization: `Basic ${btoa("admin:test-admin-token")}` }, 401, "unauthenticated"],
		["a token nobody issued", { authorization: "Bearer not-a-staff-token" }, 401, "unauthenticated"],
		[
			"a well-formed staff token nobody issued",
			{ authorization: `Bearer kps_${"A".repeat(43)}` },
			401,
			"unauthenticated",
		],
		["ADMIN_TOKEN with a character changed", { authorization: "Bearer test-admin-tokeN" }, 401, "unauthenticated"],
	])("refuses %s", async (_what, headers, status, code) => {
		const res = await call("/api/admin/whoami", { headers });
		expect([res.status, await errorCode(res)]).toEqual([status, code]);
		expect(res.headers.get("cache-control")).toBe("no-store");
	});

	it("refuses a buyer's session with 403 forbidden (a known person without a staff role, as in v1)", async () => {
		const ev = await seedEvent();
		const s = await login(ev.eventId, "B1");
		const res = await call("/api/admin/whoami", { headers: bearer(s) });
		expect([res.status, await errorCode(res)]).toEqual([403, "forbidden"]);
	});

	it("answers 503 degraded with Retry-After when D1 cannot be read; ADMIN_TOKEN needs no D1", async () => {
		const account = await createAccount("viewer");
		const broken = d1Outage().binding;
		const ask = async (token: string) => {
			const ctx = createExecutionContext();
			const res = await app.fetch(
				new Request("https://kaipan.test/api/admin/whoami", { headers: as(token) }),
				{ ...env, DB: broken },
				ctx,
			);
			await waitOnExecutionContext(ctx);
			return res;
		};
		const down = await ask(account.token);
		expect(down.status).toBe(503);
		expect(down.headers.get("retry-after")).toBe("5");
		const body = await down.text();
		expect(JSON.parse(body)).toMatchObject({ error: { code: "degraded" } });
		expect(body).not.toContain("D1_ERROR");
		expect((await ask(env.ADMIN_TOKEN)).status).toBe(200);
	});
});

describe("holds by role", () => {
	it("a viewer cannot confirm a hold (nothing changes); sales can; a viewer still reads the event", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const viewer = await createAccount("viewer");
		const sales = await createAccount("sales");
		const s = await login(ev.eventId, "B1");
		const { holdId } = await (await claim(s, "L1")).json<{ holdId: string }>();
		const refused = await call(`/api/admin/holds/${holdId}/confirm`, { method: "POST", headers: as(viewer.token) });
		expect([refused.status, await errorCode(refused)]).toEqual([403, "forbidden"]);
		const holds = await (await call("/api/me/holds", { headers: bearer(s) })).json<{ holds: { status: string }[] }>();
		expect(holds.holds[0]?.status).toBe("held");
		const confirmed = await call(`/api/admin/holds/${holdId}/confirm`, { method: "POST", headers: as(sales.token) });
		expect(confirmed.status).toBe(200);
		expect(await confirmed.json()).toMatchObject({ hold: { holdId, status: "confirmed" } });
		expect((await call(`/api/admin/events/${ev.eventId}`, { headers: as(viewer.token) })).status).toBe(200);
	});
});

/** The admin routes the app registers, as "METHOD /path" (the middleware patterns left out). */
function registeredAdminRoutes(): string[] {
	const keys = app.routes
		.filter((r) => r.path.startsWith("/api/admin/") && !(r.method === "ALL" && r.path.endsWith("*")))
		.map((r) => `${r.method} ${r.path}`);
	return [...new Set(keys)].sort();
}

/**
 * API.md's roles written out independently of the table: a viewer may GET anything under /api/admin/
 * and get live tickets, sales may also confirm and release holds, and the staff routes are the
 * operator's (API.md marks each "(operator)"). The table must agree with this, route by route.
 */
function contractRole(key: string): StaffRole {
	const [method = "", path = ""] = key.split(" ");
	if (path === "/api/admin/staff" || path.startsWith("/api/admin/staff/")) return "operator";
	if (method === "GET") return "viewer";
	if (key === "POST /api/admin/events/:eventId/live-ticket") return "viewer";
	if (key === "POST /api/admin/holds/:holdId/confirm" || key === "POST /api/admin/holds/:holdId/release") {
		return "sales";
	}
	return "operator";
}

describe("the route-role table", () => {
	it("names every admin route the app registers, and no route it does not", () => {
		const registered = registeredAdminRoutes();
		expect(registered.length).toBeGreaterThan(15);
		const table = Object.keys(ADMIN_ROUTE_ROLES).sort();
		expect(registered.filter((key) => !table.includes(key))).toEqual([]);
		expect(table.filter((key) => !registered.includes(key))).toEqual([]);
	});

	it("gives each route the role API.md gives it", () => {
		const table: Record<string, StaffRole> = ADMIN_ROUTE_ROLES;
		for (const key of registeredAdminRoutes()) expect([key, table[key]]).toEqual([key, contractRole(key)]);
	});

	it("makes a route it does not name operator-only (fail closed)", async () => {
		expect(requiredRole(ADMIN_ROUTE_ROLES, "GET /api/admin/not-in-the-table")).toBe("operator");
		expect(requiredRole(ADMIN_ROUTE_ROLES, "toString")).toBe("operator");
		// A router with a GET the table forgot: a viewer is refused, an operator is not.
		const forgetful = new Hono<AppEnv>();
		forgetful.use("/api/admin/*", staffAuth({ routeRoles: {} }));
		forgetful.route(
			"/api/admin",
			new Hono<AppEnv>().get("/forgotten/:id", (c) => c.json({ ok: true })),
		);
		forgetful.onError(handleError);
		const viewer = await createAccount("viewer");
		const ask = (token: string) =>
			forgetful.request("/api/admin/forgotten/x", { headers: { authorization: `Bearer ${token}` } }, env);
		const refused = await ask(viewer.token);
		expect([refused.status, await errorCode(refused)]).toEqual([403, "forbidden"]);
		expect((await ask(env.ADMIN_TOKEN)).status).toBe(200);
	});

	it("finds a route mounted by a sub-router under its full path, with its method", async () => {
		const probe = new Hono<AppEnv>();
		probe.use("/api/admin/*", staffAuth({ routeRoles: { "GET /api/admin/things/:id": "viewer" } }));
		probe.route(
			"/api/admin/things",
			new Hono<AppEnv>().get("/:id", (c) => c.json({ id: c.req.param("id") })),
		);
		probe.onError(handleError);
		const viewer = await createAccount("viewer");
		const headers = { authorization: `Bearer ${viewer.token}` };
		expect((await probe.request("/api/admin/things/1", { headers }, env)).status).toBe(200);
		// HEAD is answered by the GET route, so it is keyed GET; a POST to the same path is no GET.
		expect((await probe.request("/api/admin/things/1", { method: "HEAD", headers }, env)).status).toBe(200);
		expect((await probe.request("/api/admin/things/1", { method: "POST", headers }, env)).status).toBe(403);
	});

	it("is what the OpenAPI document says: 401, 403 and 503 and the table's role on every admin operation", async () => {
		type Op = { "x-kaipan-role"?: string; responses: Record<string, unknown> };
		const doc = await (await call("/api/openapi.json")).json<{ paths: Record<string, Record<string, Op>> }>();
		const table: Record<string, StaffRole> = ADMIN_ROUTE_ROLES;
		for (const key of registeredAdminRoutes()) {
			const [method = "", pattern = ""] = key.split(" ");
			const op = doc.paths[pattern.replace(/:(\w+)/g, "{$1}")]?.[method.toLowerCase()];
			expect([key, op?.["x-kaipan-role"]]).toEqual([key, table[key]]);
			expect([key, Object.keys(op?.responses ?? {})]).toEqual([key, expect.arrayContaining(["401", "403", "503"])]);
		}
	});

	it("refuses options it cannot enforce when the app is built", () => {
		expect(() => staffAuth({ routeRoles: { "/api/admin/events": "viewer" } })).toThrow(/METHOD/);
		expect(() => staffAuth({ routeRoles: { "GET /api/events/:eventId": "viewer" } })).toThrow(/METHOD/);
		expect(() => staffAuth({ routeRoles: { "GET /api/admin/x": "admin" as StaffRole } })).toThrow(/role/);
	});
});

/** A path for a route pattern: the test's own event, and ids that name nothing (no state changes). */
function concretePath(pattern: string, eventId: string): string {
	return pattern
		.replace(":eventId", eventId)
		.replace(":holdId", `h-${uniqueId("nohold")}`)
		.replace(":staffId", uniqueId("st"));
}

describe("the role matrix: every admin route × every kind of caller", () => {
	const tokens: Partial<Record<StaffRole | "revoked", string>> = {};

	beforeAll(async () => {
		for (const role of ["viewer", "sales", "operator"] as const) tokens[role] = (await createAccount(role)).token;
		const revoked = await createAccount("operator");
		const del = await call(`/api/admin/staff/${revoked.staffId}`, { method: "DELETE", headers: ADMIN });
		expect(del.status).toBe(204);
		tokens.revoked = revoked.token;
	});

	it.each(registeredAdminRoutes())("%s", async (key) => {
		const [method = "", pattern = ""] = key.split(" ");
		const ev = await seedEvent();
		const path = concretePath(pattern, ev.eventId);
		// No body: every write route refuses it (400) after the role check, so an allowed caller changes
		// nothing either, and what is asserted is only whether the role check let it through.
		const send = (headers: Record<string, string>) => call(path, { method, headers });
		const tokenOf = (who: StaffRole | "revoked") => tokens[who] ?? "";
		const needed = contractRole(key);

		const anonymous = await send({});
		expect([anonymous.status, await errorCode(anonymous)]).toEqual([401, "unauthenticated"]);
		const revoked = await send(as(tokenOf("revoked")));
		expect([revoked.status, await errorCode(revoked)]).toEqual([401, "unauthenticated"]);
		const buyer = await send(bearer(await login(ev.eventId, "B1")));
		expect([buyer.status, await errorCode(buyer)]).toEqual([403, "forbidden"]);

		for (const role of ["viewer", "sales", "operator"] as const) {
			const res = await send(as(tokenOf(role)));
			if (roleAllows(role, needed)) {
				expect([role, res.status]).not.toEqual([role, 401]);
				expect([role, res.status]).not.toEqual([role, 403]);
			} else {
				expect([role, res.status, await errorCode(res)]).toEqual([role, 403, "forbidden"]);
			}
		}
		const root = await send(ADMIN);
		expect([root.status]).not.toEqual([401]);
		expect([root.status]).not.toEqual([403]);
	});
});
