// Request signatures (docs/SIGNING.md): X-Timestamp within ±30 s, X-Nonce single-use per session,
// X-Signature = HMAC-SHA256 under the session's signing key over the canonical string. Runs after
// buyerSession; reads the body (bounded) because the signature covers its raw bytes, and hands those
// bytes on to the handler.
//
// A nonce is spent only where the request goes past the edge: `spendNonce`, the last step before the
// buyer object, which records it durably (issue 10). A signed request that the edge refuses after its
// signature was checked (event not open, bad purchase token, sold-out flag, a 429) spends nothing
// anywhere, so a retry gets the same checks in every isolate and at most one copy ever reaches the
// object; before, such a nonce sat in one isolate's memory only and a copy sent to another isolate
// was judged differently.
import { createMiddleware } from "hono/factory";
import { NONCE_MEMORY_MS, NONCE_PATTERN, SIGNATURE_WINDOW_MS, signRequest } from "../../client/signing";
import { timingSafeEqualMac } from "../../lib/crypto";
import type { AppEnv } from "../http/app-env";
import { ApiError, refusalError } from "../http/errors";
import { readBodyBytes, requireJsonBody } from "../http/validation";
import { signingKeyFor } from "../tokens/session-token";

declare module "hono" {
	interface ContextVariableMap {
		/** Set by signedRequest: the verified raw body (the handler parses it) and the request's nonce. */
		signed: { body: Uint8Array<ArrayBuffer>; nonce: string };
	}
}

/**
 * Nonces this isolate has sent on to a buyer object, per session. A replay reaching this isolate is
 * refused here without a round trip; the buyer object keeps the durable record that catches a replay
 * sent elsewhere.
 */
const seenNonces = new Map<string, number>();

function remember(key: string, now: number): boolean {
	if (seenNonces.has(key)) return false;
	if (seenNonces.size >= 100_000) {
		for (const [k, at] of seenNonces) if (at < now - NONCE_MEMORY_MS) seenNonces.delete(k);
		if (seenNonces.size >= 100_000) seenNonces.clear();
	}
	seenNonces.set(key, now);
	return true;
}

export function signedRequest(options: { bodyLimit: number }) {
	if (!(options.bodyLimit > 0)) throw new Error("signedRequest: bodyLimit must be > 0");
	return createMiddleware<AppEnv>(async function signedRequest(c, next) {
		const session = c.get("session");
		const signature = c.req.header("x-signature");
		const timestamp = c.req.header("x-timestamp");
		const nonce = c.req.header("x-nonce");
		if (!signature) throw new ApiError("bad_signature", "X-Signature is missing.");
		if (timestamp === undefined || !/^[0-9]{1,16}$/.test(timestamp)) {
			throw new ApiError("invalid_request", "X-Timestamp: must be Unix epoch milliseconds", {
				details: { field: "X-Timestamp" },
			});
		}
		if (nonce === undefined || !NONCE_PATTERN.test(nonce)) {
			throw new ApiError("invalid_request", "X-Nonce: must be 16–64 characters of [A-Za-z0-9_-]", {
				details: { field: "X-Nonce" },
			});
		}
		const now = Date.now();
		if (Math.abs(now - Number(timestamp)) > SIGNATURE_WINDOW_MS) {
			throw new ApiError("stale_timestamp", "X-Timestamp is more than 30 s away from the server's clock.", {
				details: { serverTime: new Date(now).toISOString() },
			});
		}
		const body = await readBodyBytes(c, options.bodyLimit);
		if (body.byteLength > 0) requireJsonBody(c);
		const url = new URL(c.req.url);
		const expected = await signRequest(await signingKeyFor(c.env.SESSION_SECRET, session.sessionId), {
			method: c.req.method,
			pathAndQuery: url.pathname + url.search,
			timestamp,
			nonce,
			body,
		});
		if (!timingSafeEqualMac(signature, expected)) {
			throw new ApiError("bad_signature", "X-Signature does not match this request.");
		}
		if (seenNonces.has(`${session.sessionId}:${nonce}`)) throw refusalError({ kind: "replayed_nonce" });
		c.set("signed", { body, nonce });
		await next();
	});
}

/**
 * The last step before a signed request reaches the buyer object, which records its nonce durably:
 * this isolate remembers it too, so that a replay landing here is refused without a round trip.
 */
export function spendNonce() {
	return createMiddleware<AppEnv>(async function spendNonce(c, next) {
		const { sessionId } = c.get("session");
		if (!remember(`${sessionId}:${c.get("signed").nonce}`, Date.now())) {
			throw refusalError({ kind: "replayed_nonce" });
		}
		await next();
	});
}
