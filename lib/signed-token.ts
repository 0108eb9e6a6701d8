// Compact signed tokens: base64url(JSON payload) "." base64url(HMAC-SHA256(secret, label:payload)).
// The label separates kinds of token signed with the same secret, so one can never pass as another.
import { hmacBase64url, timingSafeEqualMac } from "./crypto";
import { base64urlDecode, base64urlEncode, utf8 } from "./encoding";

const MAX_TOKEN_LENGTH = 1024;

/**
 * Tokens already found authentic, per secret and label: a buyer sends the same session and purchase
 * token with every claim, and the crowd's claims at the opening are mostly answered from memory
 * (a sold-out flag), where two HMACs were most of the work. A token's bytes are authentic or not for
 * good, so only the expiry (the caller's check) can change; forged tokens are never remembered, so
 * nobody can fill this with junk. Bounded; cleared when full.
 */
const authentic = new Map<string, Readonly<Record<string, unknown>>>();
const MAX_REMEMBERED = 20_000;

export async function signToken(secret: string, label: string, payload: Record<string, unknown>): Promise<string> {
	const body = base64urlEncode(utf8(JSON.stringify(payload)));
	return `${body}.${await hmacBase64url(secret, `${label}:${body}`)}`;
}

/** The payload of an authentic token, or null for anything forged or malformed. Expiry is the caller's. */
export async function openToken(secret: string, label: string, token: string): Promise<Record<string, unknown> | null> {
	if (token.length > MAX_TOKEN_LENGTH) return null;
	const memo = `${secret.length}:${secret}:${label}:${token}`;
	const known = authentic.get(memo);
	if (known) return known;
	const payload = await verifyToken(secret, label, token);
	if (payload) {
		if (authentic.size >= MAX_REMEMBERED) authentic.clear();
		authentic.set(memo, Object.freeze(payload));
	}
	return payload;
}

async function verifyToken(secret: string, label: string, token: string): Promise<Record<string, unknown> | null> {
	const [body, signature, ...rest] = token.split(".");
	if (!body || !signature || rest.length > 0) return null;
	if (!timingSafeEqualMac(signature, await hmacBase64url(secret, `${label}:${body}`))) return null;
	const bytes = base64urlDecode(body);
	if (!bytes) return null;
	try {
		const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
		return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
	} catch {
		return null;
	}
}
