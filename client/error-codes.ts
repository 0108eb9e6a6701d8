// Every error code the API answers, with its HTTP status: API.md's table written once, as data. The
// worker answers with these statuses (worker/http/errors.ts), the OpenAPI document lists them
// (worker/routes/openapi.ts) and the pages must have a sentence for each (web/shared/messages.ts), so
// a code added or moved here shows up in all three, or fails to compile where it does not.

export const ERROR_STATUS = {
	invalid_request: 400,
	unauthenticated: 401,
	session_revoked: 401,
	bad_credentials: 401,
	bad_signature: 403,
	stale_timestamp: 403,
	replayed_nonce: 403,
	bad_purchase_token: 403,
	forbidden: 403,
	not_found: 404,
	sold_out: 409,
	limit_reached: 409,
	event_locked: 409,
	hold_not_active: 409,
	draw_pending: 409,
	// Extension (issue 13): If-None-Match: * on creating an event whose id exists (RFC 9110 §13.1.2).
	precondition_failed: 412,
	body_too_large: 413,
	event_not_open: 423,
	not_your_turn: 423,
	rate_limited: 429,
	overloaded: 503,
	degraded: 503,
	// Not in API.md's table, but on the wire all the same: the worker's answer to a failure it did not
	// expect (docs/API.md "Errors"). It lives here rather than in the worker because a client can
	// receive it and the pages translate it; no operation promises it, so the OpenAPI document leaves
	// it out (ContractErrorCode).
	internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/** The codes of API.md's table: what a route may answer on purpose ("internal" answers a bug). */
export type ContractErrorCode = Exclude<ErrorCode, "internal">;

/** The statuses of API.md's table (500 is not among them). */
export type ContractErrorStatus = (typeof ERROR_STATUS)[ContractErrorCode];
