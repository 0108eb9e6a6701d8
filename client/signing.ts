// Request signatures (API.md "Request signature"): the one implementation used by the worker that
// verifies them and by every client that makes them (buyer page, simulator, tests). WebCrypto only, so
// it runs unchanged in workerd, browsers and Node.
//
//   canonical   = METHOD \n PATH_AND_QUERY \n X-Timestamp \n X-Nonce \n hex(SHA-256(raw body bytes))
//   X-Signature = base64url_nopad(HMAC-SHA256(key = base64url_decode(signingKey), UTF-8(canonical)))
import { hmacSha256, sha256Hex } from "../lib/crypto";
import { base64urlDecode, base64urlEncode, utf8 } from "../lib/encoding";

export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** How far X-Timestamp may be from the server's clock (API.md: 30 s either way). */
export const SIGNATURE_WINDOW_MS = 30_000;

/** How long a server must remember a nonce to refuse its replay: the whole window, both ways, and a margin. */
export const NONCE_MEMORY_MS = 2 * SIGNATURE_WINDOW_MS + 1_000;

export interface SignatureInput {
	method: string;
	/** The request target as sent, e.g. `/api/events/e1/claims` (no scheme, no host). */
	pathAndQuery: string;
	/** Unix epoch milliseconds, as a decimal string or number. */
	timestamp: string | number;
	nonce: string;
	/** The exact bytes sent as the body (an empty body hashes the empty string). */
	body: string | Uint8Array<ArrayBuffer>;
}

export async function canonicalString(input: SignatureInput): Promise<string> {
	const bytes = typeof input.body === "string" ? utf8(input.body) : input.body;
	return [
		input.method.toUpperCase(),
		input.pathAndQuery,
		String(input.timestamp),
		input.nonce,
		await sha256Hex(bytes),
	].join("\n");
}

/** X-Signature for `input` under the session's `signingKey` (base64url, as login returned it). */
export async function signRequest(signingKey: string, input: SignatureInput): Promise<string> {
	const key = base64urlDecode(signingKey);
	if (!key || key.length === 0) throw new Error("signingKey is not base64url");
	return base64urlEncode(await hmacSha256(key, await canonicalString(input)));
}

/** 24 random base64url characters: comfortably inside the 16–64 the server accepts. */
export function newNonce(): string {
	return base64urlEncode(crypto.getRandomValues(new Uint8Array(18)));
}
