// The OpenAPI 3.1 description served at GET /api/openapi.json. Request bodies come from the very zod
// schemas the routes validate with (z.toJSONSchema), so the document cannot drift from what the
// server accepts; test/openapi.test.ts checks that every route of the app is described here, and every
// workers test checks each answer it gets against this document (test/openapi-conformance.ts): a status,
// a header or a body field that the code answers and the document does not list fails the suite.
//
// An operation lists what it answers itself (its successes, their bodies, its own refusals); the errors
// that every route of its kind answers — authentication, ids in the path, bodies, the API-wide rate
// limit — are added by kindErrors() from what the operation is, so a new route cannot forget them.
//
// Every staff operation gets its least role (x-kaipan-role) from the same route-role table the middleware
// enforces (http/admin-roles.ts).
import { z } from "zod";
import { type ContractErrorStatus, ERROR_STATUS } from "../../client/error-codes";
import { claimBody } from "../claim/claim-target";
import { switchesSchema } from "../hot-reads/switches";
import { ADMIN_ROUTE_ROLES, requiredRole } from "../http/admin-roles";
import { ADMIN_BODY_LIMIT, BUYER_BODY_LIMIT } from "../http/validation";
import { wishlistBody } from "../wishlist/wishlist-routes";
import { buyersBody, commitBody, eventBody, listingsBody, revealBody, statusBody } from "./admin-events";
import { rehearsalBody } from "./admin-rehearsal";
import { staffBody } from "./admin-staff";
import { loginBody } from "./auth";
import { ANSWERS, BODY_SCHEMAS, ID_PATTERN, type JsonSchema } from "./openapi-bodies";

/** "admin": ADMIN_TOKEN or a staff token, with the route's role from http/admin-roles.ts. */
type Auth = "admin" | "session" | "signed" | "signed+token" | "none";

interface Operation {
	method: "get" | "post" | "put" | "delete";
	path: string;
	summary: string;
	tag: string;
	auth: Auth;
	body?: z.ZodType;
	/**
	 * Status → description of what this route answers itself: its successes and its own refusals. Every
	 * error status answers with the Error schema of that status; the errors of the route's kind are added
	 * by kindErrors().
	 */
	responses: Record<number, string>;
	/** The body of each success status (openapi-bodies.ts); a success without one answers no body. */
	answers?: Partial<Record<number, JsonSchema>>;
	/** A success answered in another media type than application/json (e.g. text/csv), schema or not. */
	mediaTypes?: Partial<Record<number, string>>;
	/** Query parameters: name → description (all optional). */
	query?: Record<string, string>;
	/** Answered before the API-wide middleware of worker/app.ts (no address bucket, no deployment check). */
	bare?: true;
}

/** An admin write whose D1 change was made but whose ledger entry could not be appended (docs/LEDGER.md). */
const LEDGER_503 =
	"overloaded (Retry-After): the change was made but not yet recorded in the ledger; send the same request again";

/** What an error status adds to the codes it lists (API.md's prose beside its table). */
const NOTES: Partial<Record<ContractErrorStatus, string>> = {
	423: " (event_not_open: body adds status and, if scheduled, opensAt; not_your_turn: body adds entryAt)",
	429: " (Retry-After)",
	503: " (Retry-After)",
};

/** Each contract error status with its codes, read from client/error-codes.ts (500 `internal` left out). */
function codesByStatus(): Map<ContractErrorStatus, string[]> {
	const byStatus = new Map<ContractErrorStatus, string[]>();
	for (const [code, status] of Object.entries(ERROR_STATUS)) {
		if (status === ERROR_STATUS.internal) continue;
		byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
	}
	return byStatus;
}

/**
 * Each error status of API.md's table with its codes, in the table's order ("a, b or c"), read from
 * client/error-codes.ts so that a code added there is described here. 500 (`internal`) is left out:
 * it answers a bug, and no operation promises it.
 */
function errorDescriptions(): Record<ContractErrorStatus, string> {
	const described = [...codesByStatus()].map(([status, codes]) => {
		const list = codes.length > 1 ? `${codes.slice(0, -1).join(", ")} or ${codes.at(-1)}` : codes.join("");
		return [status, list + (NOTES[status] ?? "")];
	});
	return Object.fromEntries(described) as Record<ContractErrorStatus, string>;
}

const E = errorDescriptions();

type Errors = Partial<Record<ContractErrorStatus, string>>;

/** Every route behind the API-wide middleware of worker/app.ts. */
const API_WIDE_ERRORS: Errors = {
	429: "rate_limited: too many requests from this address",
	503: "degraded: this deployment still uses a documented development secret",
};

/** Every POST, PUT and DELETE (middleware/same-origin.ts, the CSRF guard). */
const MUTATION_ERRORS: Errors = { 403: "forbidden: the session cookie sent from another origin" };

/** Every route with an id in its path. */
const PATH_ID_ERRORS: Errors = { 400: `invalid_request: an id in the path does not match ${ID_PATTERN}` };

/**
 * Every staff route (middleware/staff-auth.ts): listed here once, so no admin route can leave them
 * out. 403 is also the answer to a staff role that may not do what it asks (API.md "Staff accounts").
 */
export const ADMIN_ROUTE_ERRORS: Errors = {
	401: "unauthenticated (no token, or not a staff token, or revoked)",
	403: "forbidden (a buyer's session, or a role below x-kaipan-role)",
	503: "degraded (staff accounts cannot be read right now; Retry-After)",
};

/** Every route that needs a buyer session (middleware/buyer-session.ts). */
const SESSION_ERRORS: Errors = {
	401: "unauthenticated or session_revoked",
	429: "rate_limited: this buyer's requests",
};

/** Every signed request (middleware/signed-request.ts, docs/SIGNING.md). */
const SIGNED_ERRORS: Errors = {
	400: "invalid_request: X-Timestamp or X-Nonce malformed, or a body that is not application/json",
	403: "bad_signature, stale_timestamp (error.serverTime) or replayed_nonce",
	413: `body_too_large: more than ${BUYER_BODY_LIMIT} bytes`,
};

function bodyErrors(op: Operation): Errors {
	const limit = op.path.startsWith("/api/admin/") ? ADMIN_BODY_LIMIT : BUYER_BODY_LIMIT;
	return {
		400: "invalid_request: malformed JSON or a field that fails validation (error.field names it)",
		413: `body_too_large: more than ${limit} bytes`,
	};
}

/** The errors an operation answers because of what it is, whatever its handler does. */
function kindErrors(op: Operation): Errors[] {
	const kinds: Errors[] = [];
	if (!op.bare) kinds.push(API_WIDE_ERRORS);
	if (op.method !== "get") kinds.push(MUTATION_ERRORS);
	if (op.path.includes("{")) kinds.push(PATH_ID_ERRORS);
	if (op.body) kinds.push(bodyErrors(op));
	if (op.auth === "admin") kinds.push(ADMIN_ROUTE_ERRORS);
	if (op.auth === "session" || op.auth === "signed" || op.auth === "signed+token") kinds.push(SESSION_ERRORS);
	if (op.auth === "signed" || op.auth === "signed+token") kinds.push(SIGNED_ERRORS);
	return kinds;
}

const OPERATIONS: Operation[] = [
	{
		method: "get",
		path: "/api/health",
		summary: "Liveness",
		tag: "ops",
		auth: "none",
		bare: true,
		responses: { 200: "{ok: true}" },
		answers: { 200: ANSWERS.health },
	},
	{
		method: "get",
		path: "/api/openapi.json",
		summary: "This document",
		tag: "ops",
		auth: "none",
		bare: true,
		responses: { 200: "OpenAPI 3.1" },
		answers: { 200: ANSWERS.openapi },
	},
	{
		method: "put",
		path: "/api/admin/events/{eventId}",
		summary: "Create or update an event",
		tag: "operator",
		auth: "admin",
		body: eventBody,
		responses: {
			200: "{event}",
			409: "event_locked (error.fields: the fields that can no longer change)",
			503: LEDGER_503,
		},
		answers: { 200: ANSWERS.adminEvent },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}",
		summary: "An event with its counts",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{event, counts}", 404: "not_found: no such event" },
		answers: { 200: ANSWERS.adminEventWithCounts },
	},
	{
		method: "put",
		path: "/api/admin/events/{eventId}/listings",
		summary: "Bulk upsert listings (≤ 5,000)",
		tag: "operator",
		auth: "admin",
		body: listingsBody,
		responses: { 200: "{upserted}", 404: "not_found: no such event", 409: "event_locked", 503: LEDGER_503 },
		answers: { 200: ANSWERS.upserted },
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
			404: "not_found: no such event",
			409: "event_locked (a hold exists, or the lottery draw is committed: the list is frozen)",
			503: LEDGER_503,
		},
		answers: { 200: ANSWERS.buyers },
	},
	{
		method: "post",
		path: "/api/admin/events/{eventId}/status",
		summary: "Open, pause, close, or back to auto",
		tag: "operator",
		auth: "admin",
		body: statusBody,
		responses: {
			200: "{event}",
			404: "not_found: no such event",
			409: "draw_pending (a lottery event opens only after its draw is revealed)",
			503: LEDGER_503,
		},
		answers: { 200: ANSWERS.adminEvent },
	},
	{
		method: "post",
		path: "/api/admin/events/{eventId}/draw/commit",
		summary: "Lottery: commit to a seed (SHA-256); freezes the buyer list, mode and batches",
		tag: "operator",
		auth: "admin",
		body: commitBody,
		responses: {
			200: "{draw}",
			404: "not_found: no such event",
			409: "event_locked (a race event, already committed, or opened / past startsAt)",
			503: LEDGER_503,
		},
		answers: { 200: ANSWERS.draw },
	},
	{
		method: "post",
		path: "/api/admin/events/{eventId}/draw/reveal",
		summary: "Lottery: reveal the seed (and a beacon); computes and stores the order",
		tag: "operator",
		auth: "admin",
		body: revealBody,
		responses: {
			200: "{draw}",
			400: "invalid_request (field seed: it does not hash to the committed seedHash)",
			404: "not_found: no such event",
			409: "event_locked (not committed, or already revealed)",
			503: LEDGER_503,
		},
		answers: { 200: ANSWERS.draw },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}/orders",
		summary: "Orders from D1 in the order D1 received them, paged by cursor (?cursor=&limit=)",
		tag: "operator",
		auth: "admin",
		query: { cursor: "nextCursor of the previous page", limit: "rows per page (1–1,000, default 100)" },
		responses: {
			200: "{orders, nextCursor}",
			400: "invalid_request: a cursor or limit that is not valid",
			404: "not_found: no such event",
		},
		answers: { 200: ANSWERS.orders },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}/parity",
		summary: "Inventory objects vs D1 orders: missing, stale, unacknowledged (docs/OPERATIONS.md)",
		tag: "operator",
		auth: "admin",
		responses: {
			200: "{eventId, listings, objectHolds, d1Orders, missing, stale, unknown, unacknowledged, inParity}",
			404: "not_found: no such event",
		},
		answers: { 200: ANSWERS.parity },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}/flags",
		summary: "Degradation flags",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{flags}", 404: "not_found: no such event" },
		answers: { 200: ANSWERS.flags },
	},
	{
		method: "put",
		path: "/api/admin/events/{eventId}/flags",
		summary: "Set degradation flags",
		tag: "operator",
		auth: "admin",
		body: switchesSchema.partial(),
		responses: { 200: "{flags}", 404: "not_found: no such event", 503: LEDGER_503 },
		answers: { 200: ANSWERS.flags },
	},
	{
		method: "post",
		path: "/api/admin/events/{eventId}/live-ticket",
		summary: "A one-use ticket for the staff WebSocket",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{ticket, expiresAt}", 404: "not_found: no such event" },
		answers: { 200: ANSWERS.liveTicket },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}/notifications",
		summary: "The notification outbox, newest first (?cursor=&limit=)",
		tag: "operator",
		auth: "admin",
		query: { cursor: "nextCursor of the previous page", limit: "rows per page (1–500, default 100)" },
		responses: {
			200: "{notifications, nextCursor}",
			400: "invalid_request: a cursor or limit that is not valid",
			404: "not_found: no such event",
		},
		answers: { 200: ANSWERS.notifications },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}/ledger",
		summary: "The event's ledger in seq order, paged by cursor (?cursor=&limit=, limit ≤ 1,000, default 100)",
		tag: "ledger",
		auth: "admin",
		responses: {
			200: "{entries: [{seq, at, kind, actor, data, prev, hash}], nextCursor}",
			400: "invalid_request (a cursor this route did not make, a limit outside 1–1,000)",
			404: "not_found: no such event",
		},
		query: { cursor: "from the previous page's nextCursor", limit: "1–1,000 (default 100)" },
		answers: { 200: ANSWERS.ledgerPage },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}/ledger/export",
		summary: "The whole ledger as JSON Lines (application/x-ndjson, one entry per line, an attachment), streamed",
		tag: "ledger",
		auth: "admin",
		responses: {
			200: "one entry per line, seq 1 to the head",
			404: "not_found: no such event",
		},
		mediaTypes: { 200: "application/x-ndjson" },
	},
	{
		method: "post",
		path: "/api/admin/events/{eventId}/rehearsal",
		summary:
			"A rehearsal (模拟开盘): copy the event (listings, buyers and their codes, settings; not the draw) to rehearsalId with its own times",
		tag: "operator",
		auth: "admin",
		body: rehearsalBody,
		responses: {
			200: "{event} (the rehearsal: rehearsalOf names this event)",
			404: "not_found: no such event",
			409: "event_locked (rehearsalId already exists, or this event is itself a rehearsal)",
			503: LEDGER_503,
		},
		answers: { 200: ANSWERS.adminEvent },
	},
	{
		method: "get",
		path: "/api/admin/events/{eventId}/wishes",
		summary: "Lottery: the wish lists' heat map: per listing, how many lists name it and how many put it first",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{listings: [{id, wishes, firstChoice}]}", 404: "not_found: no such event" },
		answers: { 200: ANSWERS.wishes },
	},
	{
		method: "get",
		path: "/api/events/{eventId}/ledger/head",
		summary: "The ledger's head, for a notary or a screen: {seq, hash, at} (seq 0, 64 zeros, null before any entry)",
		tag: "ledger",
		auth: "none",
		responses: { 200: "{seq, hash, at}", 404: "not_found: no such event" },
		answers: { 200: ANSWERS.ledgerHead },
	},
	{
		method: "post",
		path: "/api/admin/holds/{holdId}/confirm",
		summary: "Deposit received: held → confirmed",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{hold}", 404: "not_found: no such hold", 409: "hold_not_active (error.status)" },
		answers: { 200: ANSWERS.staffHold },
	},
	{
		method: "post",
		path: "/api/admin/holds/{holdId}/release",
		summary: "Staff release: held → released",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{hold}", 404: "not_found: no such hold", 409: "hold_not_active (error.status)" },
		answers: { 200: ANSWERS.staffHold },
	},
	{
		method: "get",
		path: "/api/admin/dead-letters",
		summary: "Messages parked after exhausting their retries (?limit=)",
		tag: "operator",
		auth: "admin",
		query: { limit: "at most this many (1–1,000, default 100)" },
		responses: { 200: "{deadLetters}", 400: "invalid_request: a limit that is not valid" },
		answers: { 200: ANSWERS.deadLetters },
	},
	{
		method: "post",
		path: "/api/admin/dead-letters/replay",
		summary: "Send dead letters back to their queue",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{replayed, remaining}" },
		answers: { 200: ANSWERS.replayed },
	},
	{
		method: "post",
		path: "/api/admin/staff",
		summary: "Create a staff account; its token is in this answer only",
		tag: "operator",
		auth: "admin",
		body: staffBody,
		responses: { 200: "{staffId, name, role, token}", 400: E[400], 413: E[413] },
		answers: { 200: ANSWERS.staffCreated },
	},
	{
		method: "get",
		path: "/api/admin/staff",
		summary: "Every staff account, revoked ones included (never a token)",
		tag: "operator",
		auth: "admin",
		responses: { 200: "{staff: [{staffId, name, role, createdAt, revokedAt}]}" },
		answers: { 200: ANSWERS.staffList },
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
		answers: { 200: ANSWERS.whoami },
	},
	{
		method: "get",
		path: "/api/events/{eventId}",
		summary: "The public event and the server's time",
		tag: "buyer",
		auth: "none",
		responses: { 200: "{event, serverTime}", 404: "not_found: no such event" },
		answers: { 200: ANSWERS.publicEvent },
	},
	{
		method: "get",
		path: "/api/events/{eventId}/listings",
		summary: "The catalogue with availability (≤ 2 s behind)",
		tag: "buyer",
		auth: "none",
		responses: { 200: "{listings, asOf}", 404: "not_found: no such event" },
		answers: { 200: ANSWERS.listings },
	},
	{
		method: "get",
		path: "/api/events/{eventId}/draw",
		summary: "The lottery draw, for anyone to check (npm run verify-draw)",
		tag: "buyer",
		auth: "none",
		responses: {
			200: "{draw: {status, seedHash, buyersHash, buyerCount, committedAt, seed, beacon, drawnAt, order}}",
			404: "not_found: no such event",
		},
		answers: { 200: ANSWERS.draw },
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
			400: "invalid_request: content-type is not application/json",
			401: "bad_credentials",
			404: "not_found: no such event",
			429: "rate_limited: too many login attempts from this address, or for this buyer from it",
		},
		answers: { 200: ANSWERS.session },
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
			403: "forbidden: the session is another event's",
			404: "not_found: no such event",
			423: E[423],
			503: "degraded: claims paused by the operator",
		},
		answers: { 200: ANSWERS.purchaseToken },
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
		answers: { 200: ANSWERS.hold, 201: ANSWERS.hold },
	},
	{
		method: "get",
		path: "/api/me/holds",
		summary: "The buyer's holds",
		tag: "buyer",
		auth: "session",
		responses: { 200: "{eventId, holds}" },
		answers: { 200: ANSWERS.myHolds },
	},
	{
		method: "get",
		path: "/api/me/turn",
		summary: "The buyer's turn: {mode, position, batch, entryAt} (0-based; null position/batch in a race)",
		tag: "buyer",
		auth: "session",
		responses: { 200: "{mode, position, batch, entryAt}", 404: "not_found: no such event" },
		answers: { 200: ANSWERS.turn },
	},
	{
		method: "get",
		path: "/api/me/wishlist",
		summary: "The buyer's wish list: {listingIds, autoClaim} (empty until set)",
		tag: "buyer",
		auth: "session",
		responses: { 200: "{listingIds, autoClaim}" },
		answers: { 200: ANSWERS.wishlist },
	},
	{
		method: "put",
		path: "/api/me/wishlist",
		summary: "Set the wish list (≤ 10 listing ids, best first) and auto-claim, until the buyer's entry time",
		tag: "buyer",
		auth: "session",
		body: wishlistBody,
		responses: {
			200: "{listingIds, autoClaim}",
			400: "invalid_request (field listingIds: an id that is not a listing of the event, a duplicate, more than 10)",
			404: "not_found: no such event",
			409: "event_locked: the buyer's entry time has passed",
		},
		answers: { 200: ANSWERS.wishlist },
	},
	{
		method: "post",
		path: "/api/holds/{holdId}/cancel",
		summary: "Give a held unit back (signed)",
		tag: "buyer",
		auth: "signed",
		responses: {
			200: "{holdId, listingId, status: cancelled, expiresAt: null}",
			403: "forbidden: another buyer's hold",
			404: "not_found: no such hold",
			409: "hold_not_active (error.status)",
		},
		answers: { 200: ANSWERS.hold },
	},
	{
		method: "get",
		path: "/api/events/{eventId}/live",
		summary: "Live updates (Upgrade: websocket); staff with ?ticket=, buyers with their session",
		tag: "live",
		auth: "none",
		query: { ticket: "staff: a live ticket from POST /api/admin/events/{eventId}/live-ticket" },
		responses: {
			101: "switching protocols",
			400: "invalid_request: no Upgrade: websocket",
			401: "unauthenticated or session_revoked: no ticket and no valid session",
			403: "forbidden: a ticket that is invalid, expired or another event's; another event's session; a cookie from another origin",
			404: "not_found: no such event",
			429: "rate_limited: this buyer's requests",
			503: "degraded: buyer live updates switched off",
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

/** The route's key in http/admin-roles.ts: "METHOD /path/:param". */
function routeKey(op: Operation): string {
	return `${op.method.toUpperCase()} ${op.path.replace(/\{(\w+)\}/g, ":$1")}`;
}

function operation(op: Operation) {
	const staff = op.auth === "admin";
	const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
		name: m[1],
		in: "path",
		required: true,
		schema: { type: "string", pattern: ID_PATTERN },
	}));
	return {
		summary: op.summary,
		tags: [op.tag],
		security: SECURITY[op.auth],
		...(staff ? { "x-kaipan-role": requiredRole(ADMIN_ROUTE_ROLES, routeKey(op)) } : {}),
		parameters: [...params, ...queryParameters(op), ...signedHeaders(op.auth)],
		...(op.body
			? {
					requestBody: {
						required: true,
						content: { "application/json": { schema: z.toJSONSchema(op.body, { io: "input" }) } },
					},
				}
			: {}),
		responses: responses(op),
	};
}

function queryParameters(op: Operation) {
	return Object.entries(op.query ?? {}).map(([name, description]) => ({
		name,
		in: "query",
		required: false,
		description,
		schema: { type: "string" },
	}));
}

/** The route's own answers and those of its kind, one description per status ("a; b" where both say). */
function responses(op: Operation) {
	const described = new Map<number, string[]>();
	for (const errors of [op.responses, ...kindErrors(op)]) {
		for (const [status, description] of Object.entries(errors)) {
			const known = described.get(Number(status)) ?? [];
			if (!known.includes(description)) described.set(Number(status), [...known, description]);
		}
	}
	const sorted = [...described].sort(([a], [b]) => a - b);
	return Object.fromEntries(
		sorted.map(([status, descriptions]) => {
			const description = descriptions.join("; ");
			if (status >= 400) {
				return [
					status,
					{
						description,
						...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
						content: { "application/json": { schema: { $ref: `#/components/schemas/Error${status}` } } },
					},
				];
			}
			const body = op.answers?.[status];
			const mediaType = op.mediaTypes?.[status];
			const content = body || mediaType ? { [mediaType ?? "application/json"]: body ? { schema: body } : {} } : null;
			return [status, { description, ...(content ? { content } : {}) }];
		}),
	);
}

const RETRY_AFTER = {
	"Retry-After": { required: true, description: "seconds", schema: { type: "integer", minimum: 1 } },
};

const ERROR_FIELDS = {
	code: { type: "string", pattern: "^[a-z][a-z_]*$" },
	message: { type: "string" },
	field: { type: "string", description: "invalid_request: the field at fault" },
	fields: {
		type: "array",
		items: { type: "string" },
		description: "event_locked: the fields that can no longer change",
	},
	serverTime: { type: "string", format: "date-time", description: "stale_timestamp: the server's clock" },
	status: { type: "string", description: "hold_not_active: the hold's status" },
	role: { enum: ["viewer", "sales", "operator"], description: "forbidden: the staff account's role" },
	needed: { enum: ["viewer", "sales", "operator"], description: "forbidden: the role the route needs" },
};

/** API.md's error shape at one status: its codes, and what the status adds beside `error`. */
function errorSchema(codes: string[], status: ContractErrorStatus) {
	const time = { type: "string", format: "date-time" };
	const beside: Record<string, unknown> =
		status === 423
			? {
					status: { enum: ["scheduled", "paused", "closed"], description: "event_not_open: the event's status" },
					opensAt: { ...time, description: "event_not_open, scheduled: when it opens" },
					entryAt: { ...time, description: "not_your_turn: when this buyer may enter" },
				}
			: {};
	// "code X requires these fields", written as "not X, or has them" (an if/then would read as a thenable).
	const when = (code: string, required: string[]) => ({
		anyOf: [{ not: { properties: { error: { properties: { code: { const: code } } } } } }, { required }],
	});
	return {
		type: "object",
		required: ["error"],
		additionalProperties: false,
		properties: {
			error: {
				type: "object",
				required: ["code", "message"],
				additionalProperties: false,
				properties: { ...ERROR_FIELDS, code: { enum: codes } },
			},
			...beside,
		},
		...(status === 423 ? { allOf: [when("event_not_open", ["status"]), when("not_your_turn", ["entryAt"])] } : {}),
	};
}

function errorSchemas() {
	return Object.fromEntries(
		[...codesByStatus()].map(([status, codes]) => [`Error${status}`, errorSchema(codes, status)]),
	);
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
			version: "1.1",
			description: "Contract v1.1 of an online real-estate opening. Prose, decisions and examples: docs/API.md.",
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
				/** Any error: what an unknown route (404) or an unexpected failure (500 internal) answers. */
				Error: {
					type: "object",
					required: ["error"],
					properties: {
						error: {
							type: "object",
							required: ["code", "message"],
							additionalProperties: false,
							properties: ERROR_FIELDS,
						},
					},
				},
				...errorSchemas(),
				...BODY_SCHEMAS,
			},
		},
	};
	return cached;
}

/** For the test: the described routes as "METHOD /path/:param". */
export function describedRoutes(): string[] {
	return OPERATIONS.map((op) => `${op.method.toUpperCase()} ${op.path.replace(/\{(\w+)\}/g, ":$1")}`);
}
