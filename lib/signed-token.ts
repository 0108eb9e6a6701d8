// Compact signed tokens: base64url(JSON payload) "." base64url(HMAC-SHA256(secret, label:payload)).
// The label separates kinds of token signed with the same secret, so one can never pass as another.
import { hmacBase64url, timingSafeEqualMac } from "./crypto";
import { base64urlDecode, base64urlEncode, utf8 } from "./encoding";

const MAX_TOKEN_LENGTH = 1024;

export async function signToken(secret: string, label: string, payload: Record<string, unknown>): Promise<string> {
	const body = base64urlEncode(utf8(JSON.stringify(payload)));
	return `${body}.${await hmacBase64url(secret, `${label}:${body}`)}`;
}

/** The payload of an authentic token, or null for anything forged or malformed. Expiry is the caller's. */
export async function openToken(secret: string, label: string, token: string): Promise<Record<string, unknown> | null> {
	if (token.length > MAX_TOKEN_LENGTH) return null;
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
