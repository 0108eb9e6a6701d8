// HMAC and hashing on WebCrypto. Keys are imported once per secret and reused: importKey costs more
// than the MAC itself on the claim path.
import { base64urlEncode, toHex, utf8 } from "./encoding";

// Only imported keys are kept, never the import's promise: a promise belongs to the request whose
// I/O settles it, and must not be awaited by another request (issue 10, lib/ttl-cache.ts).
const keyCache = new Map<string, CryptoKey>();

async function hmacKey(secret: string | Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
	const raw = typeof secret === "string" ? utf8(secret) : secret;
	const cacheKey = typeof secret === "string" ? `s:${secret}` : `b:${base64urlEncode(secret)}`;
	const cached = keyCache.get(cacheKey);
	if (cached) return cached;
	const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	// Bounded: per-session signing keys would otherwise grow the cache without limit.
	if (keyCache.size > 10_000) keyCache.clear();
	keyCache.set(cacheKey, key);
	return key;
}

export async function hmacSha256(
	secret: string | Uint8Array<ArrayBuffer>,
	message: string | Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
	const data = typeof message === "string" ? utf8(message) : message;
	return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), data));
}

export async function hmacBase64url(secret: string | Uint8Array<ArrayBuffer>, message: string): Promise<string> {
	return base64urlEncode(await hmacSha256(secret, message));
}

export async function sha256Hex(data: ArrayBuffer | Uint8Array<ArrayBuffer>): Promise<string> {
	return toHex(await crypto.subtle.digest("SHA-256", data));
}

/**
 * Constant-time string equality. Both sides are hashed first so that neither the length nor the
 * position of the first difference leaks through timing.
 */
export async function timingSafeEqualText(a: string, b: string): Promise<boolean> {
	const [ha, hb] = await Promise.all([
		crypto.subtle.digest("SHA-256", utf8(a)),
		crypto.subtle.digest("SHA-256", utf8(b)),
	]);
	const va = new Uint8Array(ha);
	const vb = new Uint8Array(hb);
	let diff = 0;
	for (let i = 0; i < va.length; i++) diff |= (va[i] ?? 0) ^ (vb[i] ?? 0);
	return diff === 0;
}

/**
 * Constant-time equality for MACs, whose length is public (a base64url HMAC-SHA256 is always 43
 * characters): no hashing needed, so it costs nothing next to the MAC itself.
 */
export function timingSafeEqualMac(a: string, b: string): boolean {
	if (a.length !== b.length) return false;
	let diff = 0;
	for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
	return diff === 0;
}

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/** A random id of [A-Za-z0-9], safe for every id pattern of the API. */
export function randomId(prefix: string, length = 20): string {
	const bytes = crypto.getRandomValues(new Uint8Array(length));
	let out = prefix;
	for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
	return out;
}

/** Digits in a generated access code: 13 × log2(10) ≈ 43.2 bits, above API.md's 40. */
export const ACCESS_CODE_DIGITS = 13;

/**
 * Access codes are read aloud and typed on phones: digits only, no ambiguity. Each digit is drawn
 * without modulo bias (bytes ≥ 250 are redrawn), so the code carries its full 43 bits.
 */
export function randomAccessCode(length = ACCESS_CODE_DIGITS): string {
	let out = "";
	while (out.length < length) {
		for (const b of crypto.getRandomValues(new Uint8Array(length))) {
			if (b < 250 && out.length < length) out += String(b % 10);
		}
	}
	return out;
}
