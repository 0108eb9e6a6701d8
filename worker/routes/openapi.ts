// The OpenAPI 3.1 description served at GET /api/openapi.json. Request bodies come from the very zod
// schemas the routes validate with (z.toJSONSchema), so the document cannot drift from what the
// server accepts; test/openapi.test.ts checks that every route of the app is described here. Every
// staff operation gets the statuses staffAuth can answer (401, 403, 503) and its least role, from the
// same route-role table the middleware enforces (http/admin-roles.ts).
import { z } from "zod";
import { type ContractErrorStatus, ERROR_STATUS } from "../../client/error-codes";
import { claimBody } from "../claim/claim-target";
import { switchesSchema } from "../hot-reads/switches";
import { ADMIN_ROUTE_ROLES, requiredRole } from "../http/admin-roles";
import { buyersBody, eventBody, listingsBody, statusBody } from "./admin-events";
import { staffBody } from "./admin-staff";
import { loginBody } from "./auth";

/** "admin": ADMIN_TOKEN or a staff token, with the route's role from http/admin-roles.ts. */
type Auth = "admin" | "session" | "signed" | "signed+token" | "none";

interface Operation {
	method: "get" | "post" | "put" | "delete";
	path: string;
	summary: string;
	tag: string;
	auth: Auth;
	body?: z.ZodType;
	/** Status → description; every error status answers with the Error schema. */
	responses: Record<number, string>;
}

/** What an error status adds to the codes it lists (API.md's prose beside its table). */
const NOTES: Partial<Record<ContractErrorStatus, string>> = {
	423: " (body adds status and, if scheduled, opensAt)",
	429: " (Retry-After)",
	503: " (Retry-After)",
};

/**
 * Each error status of API.md's table with its codes, in the table's order ("a, b or c"), read from
 * client/error-codes.ts so that a code added there is described here. 500 (`internal`) is left out:
 * it answers a bug, and no operation promises it.
 */
function errorDescriptions(): Record<ContractErrorStatus, string> {
	const byStatus = new Map<ContractErrorStatus, string[]>();
	for (const [code, status] of Object.entries(ERROR_STATUS)) {
		if (status === ERROR_STATUS.internal) continue;
		byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
	}
	const described = [...byStatus].map(([status, codes]) => {
		const list = codes.length > 1 ? `${codes.slice(0, -1).join(", ")} or ${codes.at(-1)}` : codes.join("");
		return [status, list + (NOTES[status] ?? "")];
	});
	return Object.fromEntries(described) as Record<ContractErrorStatus, string>;
}

const E = errorDescriptions();

const OPERATIONS: Operation[] = [
	{
		method: "get",
		path: "/api/health",
		summary: "Liveness",
		tag: "ops",
		auth: "none",
		responses: { 200: "{ok: true}" },
	},
	{
		method: "get",
		path: "/api/openapi.json",
		summary: "This document",
		tag: "ops",
		auth: "none",
		responses: { 200: "OpenAPI 3.1" },
	},
	{
		method: "put",
		path: "/api/admin/events/{eventId}",
		summary: "Create or update an event",
		tag: "operator",
		auth: "admin",
		body: eventBody,
		responses: { 200: "{event}", 400: E[400], 409: "event_locked" },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}",
		summary: "An event with its counts",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{event, counts}", 404: E[404] },
	},
	{
		method: "put",
		path: "/api/admin/events/{eventId}/listings",
		summary: "Bulk upsert listings (≤ 5,000)",
		tag: "operator",
		auth: "admin",
		body: listingsBody,
		responses: { 200: "{upserted}", 400: E[400], 404: E[404], 409: "event_locked", 413: E[413] },
	},
	{
		method: "put",
		path: "/api/admin/events/{eventId}/buyers",
		summary: "Register qualified buyers (≤ 5,000)",
		tag: "operator",
		auth: "admin",
		body: buyersBody,
		responses: {
			200: "{buyers: [{id, accessCode: string | null}]} (null: registered before, code kept)",
			400: E[400],
			404: E[404],
			413: E[413],
		},
	},
	{
		method: "post",
		path: "/api/admin/events/{eventId}/status",
		summary: "Open, pause, close, or back to auto",
		tag: "operator",
		auth: "admin",
		body: statusBody,
		responses: { 200: "{event}", 400: E[400], 404: E[404] },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}/orders",
		summary: "Orders from D1 in the order D1 received them, paged by cursor (?cursor=&limit=)",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{orders, nextCursor}", 400: E[400], 404: E[404] },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}/parity",
		summary: "Inventory objects vs D1 orders: missing, stale, unacknowledged (docs/OPERATIONS.md)",
		tag: "operator",
		auth: "admin",
		responses: {
			200: "{eventId, listings, objectHolds, d1Orders, missing, stale, unknown, unacknowledged, inParity}",
			404: E[404],
		},
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}/flags",
		summary: "Degradation flags",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{flags}", 404: E[404] },
	},
	{
		method: "put",
		path: "/api/admin/events/{eventId}/flags",
		summary: "Set degradation flags",
		tag: "operator",
		auth: "admin",
		body: switchesSchema.partial(),
		responses: { 200: "{flags}", 400: E[400], 404: E[404] },
	},
	{
		method: "post",
		path: "/api/admin/events/{eventId}/live-ticket",
		summary: "A one-use ticket for the staff WebSocket",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{ticket, expiresAt}", 404: E[404] },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}/notifications",
		summary: "The notification outbox, newest first (?cursor=&limit=)",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{notifications, nextCursor}", 400: E[400], 404: E[404] },
	},
	{
		method: "post",
		path: "/api/admin/holds/{holdId}/confirm",
		summary: "Deposit received: held → confirmed",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{hold}", 404: E[404], 409: "hold_not_active" },
	},
	{
		method: "post",
		path: "/api/admin/holds/{holdId}/release",
		summary: "Staff release: held → released",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{hold}", 404: E[404], 409: "hold_not_active" },
	},
	{
		method: "get",
		path: "/api/admin/dead-letters",
		summary: "Messages parked after exhausting their retries",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{deadLetters}" },
	},
	{
		method: "post",
		path: "/api/admin/dead-letters/replay",
		summary: "Send dead letters back to their queue",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{replayed, remaining}" },
	},
	{
		method: "post",
		path: "/api/admin/staff",
		summary: "Create a staff account; its token is in this answer only",
		tag: "operator",
		auth: "admin",
		body: staffBody,
		responses: { 200: "{staffId, name, role, token}", 400: E[400], 413: E[413] },
	},
	{
		method: "get",
		path: "/api/admin/staff",
		summary: "Every staff account, revoked ones included (never a token)",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{staff: [{staffId, name, role, createdAt, revokedAt}]}" },
	},
	{
		method: "delete",
		path: "/api/admin/staff/{staffId}",
		summary: "Revoke a staff account: its token is refused from the next request on (idempotent)",
		tag: "operator",
		auth: "admin",
		responses: { 204: "revoked (also when it already was)", 400: E[400], 404: E[404] },
	},
	{
		method: "get",
		path: "/api/admin/whoami",
		summary: "Who this staff token is: {actor, name, role} (extension, for the pages)",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{actor, name, role}" },
	},
	{
		method: "get",
		path: "/api/events/{eventId}",
		summary: "The public event and the server's time",
		tag: "buyer",
		auth: "none",
		responses: { 200: "{event, serverTime}", 404: E[404] },
	},
	{
		method: "get",
		path: "/api/events/{eventId}/listings",
		summary: "The catalogue with availability (≤ 2 s behind)",
		tag: "buyer",
		auth: "none",
		responses: { 200: "{listings, asOf}", 404: E[404] },
	},
	{
		method: "post",
		path: "/api/auth/login",
		summary: "Log in with an access code (revokes earlier sessions)",
		tag: "buyer",
		auth: "none",
		body: loginBody,
		responses: {
			200: "{buyerId, eventId, sessionToken, signingKey, expiresAt} and Set-Cookie kp_session",
			400: E[400],
			401: "bad_credentials",
			404: E[404],
			429: E[429],
		},
	},
	{
		method: "post",
		path: "/api/auth/logout",
		summary: "End the session",
		tag: "buyer",
		auth: "none",
		responses: { 204: "logged out" },
	},
	{
		method: "post",
		path: "/api/events/{eventId}/purchase-token",
		summary: "A purchase token, once the event is open",
		tag: "buyer",
		auth: "session",
		responses: {
			200: "{purchaseToken, expiresAt}",
			401: E[401],
			403: "forbidden",
			423: E[423],
			429: E[429],
			503: E[503],
		},
	},
	{
		method: "post",
		path: "/api/events/{eventId}/claims",
		summary: "Claim a unit (signed, with a purchase token)",
		tag: "buyer",
		auth: "signed+token",
		body: claimBody,
		responses: {
			200: "already held by this buyer: {holdId, listingId, status, expiresAt}",
			201: "{holdId, listingId, status: held, expiresAt}",
			...E,
		},
	},
	{
		method: "get",
		path: "/api/me/holds",
		summary: "The buyer's holds",
		tag: "buyer",
		auth: "session",
		responses: { 200: "{eventId, holds}", 401: E[401], 429: E[429] },
	},
	{
		method: "post",
		path: "/api/holds/{holdId}/cancel",
		summary: "Give a held unit back (signed)",
		tag: "buyer",
		auth: "signed",
		responses: {
			200: "{holdId, listingId, status: cancelled, expiresAt: null}",
			400: E[400],
			401: E[401],
			403: E[403],
			404: E[404],
			409: "hold_not_active",
			429: E[429],
		},
	},
	{
		method: "get",
		path: "/api/events/{eventId}/live",
		summary: "Live updates (Upgrade: websocket); staff with ?ticket=, buyers with their session",
		tag: "live",
		auth: "none",
		responses: {
			101: "switching protocols",
			400: E[400],
			401: E[401],
			403: E[403],
			404: E[404],
			503: "degraded (buyer live updates off)",
		},
	},
];

const SECURITY: Record<Auth, Record<string, string[]>[]> = {
	admin: [{ adminToken: [] }],
	session: [{ sessionBearer: [] }, { sessionCookie: [] }],
	signed: [{ sessionBearer: [] }, { sessionCookie: [] }],
	"signed+token": [{ sessionBearer: [] }, { sessionCookie: [] }],
	none: [],
};

function signedHeaders(auth: Auth) {
	const header = (name: string, description: string) => ({
		name,
		in: "header",
		required: true,
		description,
		schema: { type: "string" },
	});
	const signed = [
		header("X-Timestamp", "Unix epoch milliseconds, within ±30 s"),
		header("X-Nonce", "16–64 characters of [A-Za-z0-9_-], single-use per session"),
		header("X-Signature", "base64url HMAC-SHA256 of the canonical string (docs/SIGNING.md)"),
	];
	if (auth === "signed") return signed;
	if (auth === "signed+token")
		return [header("X-Purchase-Token", "from POST /api/events/{eventId}/purchase-token"), ...signed];
	return [];
}

/**
 * What staffAuth can answer on any staff route before its handler runs: no token, an unknown or
 * revoked one (401); a buyer's session, or a role below the route's (403); D1 unreadable while a staff
 * token is looked up (503). Added to every "admin" operation, so a new admin route cannot forget them.
 */
const STAFF_AUTH_RESPONSES: Record<number, string> = {
	401: "unauthenticated (no token, or not a staff token, or revoked)",
	403: "forbidden (a buyer's session, or a role below x-kaipan-role)",
	503: "degraded (staff accounts cannot be read right now; Retry-After)",
};

/** The route's key in http/admin-roles.ts: "METHOD /path/:param". */
function routeKey(op: Operation): string {
	return `${op.method.toUpperCase()} ${op.path.replace(/\{(\w+)\}/g, ":$1")}`;
}

function operation(op: Operation) {
	const staff = op.auth === "admin";
	const responses = staff ? { ...op.responses, ...STAFF_AUTH_RESPONSES } : op.responses;
	const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
		name: m[1],
		in: "path",
		required: true,
		schema: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
	}));
	return {
		summary: op.summary,
		tags: [op.tag],
		security: SECURITY[op.auth],
		...(staff ? { "x-kaipan-role": requiredRole(ADMIN_ROUTE_ROLES, routeKey(op)) } : {}),
		parameters: [...params, ...signedHeaders(op.auth)],
		...(op.body
			? {
					requestBody: {
						required: true,
						content: { "application/json": { schema: z.toJSONSchema(op.body, { io: "input" }) } },
					},
				}
			: {}),
		responses: Object.fromEntries(
			Object.entries(responses).map(([status, description]) => [
				status,
				Number(status) >= 400
					? { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } }
					: { description },
			]),
		),
	};
}

let cached: unknown = null;

export function openApiDocument(): unknown {
	if (cached) return cached;
	const paths: Record<string, Record<string, unknown>> = {};
	for (const op of OPERATIONS) {
		paths[op.path] ??= {};
		paths[op.path] = { ...paths[op.path], [op.method]: operation(op) };
	}
	cached = {
		openapi: "3.1.0",
		info: {
			title: "Kaipan HTTP API",
			version: "1",
			description: "Contract v1 of an online real-estate opening. Prose, decisions and examples: docs/API.md.",
		},
		paths,
		components: {
			securitySchemes: {
				adminToken: {
					type: "http",
					scheme: "bearer",
					description:
						"ADMIN_TOKEN (an operator) or a staff account's token; each operation's x-kaipan-role is the least role",
				},
				sessionBearer: { type: "http", scheme: "bearer", description: "sessionToken from login" },
				sessionCookie: { type: "apiKey", in: "cookie", name: "kp_session" },
			},
			schemas: {
				Error: {
					type: "object",
					required: ["error"],
					properties: {
						error: {
							type: "object",
							required: ["code", "message"],
							properties: { code: { type: "string" }, message: { type: "string" }, field: { type: "string" } },
						},
					},
				},
			},
		},
	};
	return cached;
}

/** For the test: the described routes as "METHOD /path/:param". */
export function describedRoutes(): string[] {
	return OPERATIONS.map((op) => `${op.method.toUpperCase()} ${op.path.replace(/\{(\w+)\}/g, ":$1")}`);
}
