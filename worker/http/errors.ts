// One error shape for the whole API: {"error": {"code", "message", ...details}} with API.md's status.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERROR_STATUS, type ErrorCode } from "../../client/error-codes";
import type { Refusal } from "../../durable-objects/buyer-quota";

// The table is the client's (client/error-codes.ts), so the statuses answered here are the ones callers
// are told; `satisfies` proves each is a status Hono can send with a body.
const STATUS = ERROR_STATUS satisfies Record<ErrorCode, ContentfulStatusCode>;

export type { ErrorCode };

export interface ApiErrorOptions {
	/** Extra top-level fields inside `error` (e.g. `field`) or beside it (see `extra`). */
	details?: Record<string, unknown>;
	/** Fields added next to `error` in the body, e.g. `status` and `opensAt` of a 423. */
	extra?: Record<string, unknown>;
	/** Seconds; sent as Retry-After (required on 429 and 503). */
	retryAfter?: number;
}

export class ApiError extends HTTPException {
	readonly code: ErrorCode;
	private readonly options: ApiErrorOptions;

	constructor(code: ErrorCode, message: string, options: ApiErrorOptions = {}) {
		super(STATUS[code], { message });
		this.code = code;
		this.options = options;
	}

	override getResponse(): Response {
		const headers = new Headers({ "content-type": "application/json; charset=utf-8" });
		const retryAfter = this.options.retryAfter ?? (this.status === 429 || this.status === 503 ? 1 : undefined);
		if (retryAfter !== undefined) headers.set("retry-after", String(Math.max(1, Math.ceil(retryAfter))));
		const body = {
			...this.options.extra,
			error: { code: this.code, message: this.message, ...this.options.details },
		};
		return new Response(JSON.stringify(body), { status: this.status, headers });
	}
}

/** Seconds a client waits before retrying a request that needed D1 while it could not be reached. */
export const D1_RETRY_AFTER_SECONDS = 5;

/**
 * D1 reports its failures as errors whose message starts with "D1_" (D1_ERROR, D1_EXEC_ERROR, …);
 * drizzle wraps them (DrizzleQueryError, "Failed query: …") with the original as `cause`.
 */
export function isD1Failure(err: unknown): boolean {
	for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
		if (e.message.startsWith("D1_")) return true;
	}
	return false;
}

/** The app's onError: known errors as they are, anything else as a bare 500 without internals. */
export function handleError(err: Error, c: Context): Response {
	if (err instanceof ApiError) return err.getResponse();
	if (err instanceof HTTPException && err.status < 500) {
		const code: ErrorCode =
			err.status === 413 ? "body_too_large" : err.status === 404 ? "not_found" : "invalid_request";
		return new ApiError(code, err.message || "Bad request").getResponse();
	}
	if (isD1Failure(err)) {
		// Any route that reads D1 while D1 is down or overloaded: the client is told to retry, as API.md's
		// 503 says, instead of a 500 that reads as a bug. The cause goes to the log, never to the client.
		console.error("D1 unavailable", { path: c.req.path, error: err.message });
		return new ApiError("degraded", "The database cannot be reached right now; please retry.", {
			retryAfter: D1_RETRY_AFTER_SECONDS,
		}).getResponse();
	}
	console.error("unhandled error", { path: c.req.path, error: err.stack ?? String(err) });
	return new ApiError("internal", "Something went wrong on our side; please retry.").getResponse();
}

// The errors that several routes answer, written once so that their wording and extras never drift.

export function eventNotFound(eventId: string): ApiError {
	return new ApiError("not_found", `No event ${eventId}.`);
}

export function sessionRevoked(): ApiError {
	return new ApiError("session_revoked", "This session was ended by a newer login on another device.");
}

/** The API error for a buyer object's refusal of a signed request. */
export function refusalError(refusal: Refusal): ApiError {
	switch (refusal.kind) {
		case "session_revoked":
			return sessionRevoked();
		case "replayed_nonce":
			return new ApiError("replayed_nonce", "This X-Nonce was already used by this session.");
		case "rate_limited":
			return new ApiError("rate_limited", "Too many claims; slow down.", { retryAfter: refusal.retryAfterSeconds });
	}
}

export function soldOut(): ApiError {
	return new ApiError("sold_out", "Every unit of this listing is taken.");
}

export function overloaded(): ApiError {
	return new ApiError("overloaded", "This unit is in high demand right now; please retry.", { retryAfter: 1 });
}
