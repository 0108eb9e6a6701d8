// Access codes (认筹码) are stored only as HMAC-SHA256 under a server-side pepper: a leaked table is
// useless without the worker secret, and each hash is bound to its event and buyer.
import { hmacBase64url, timingSafeEqualText } from "../../lib/crypto";

export function hashAccessCode(env: Env, eventId: string, buyerId: string, code: string): Promise<string> {
	return hmacBase64url(env.ACCESS_CODE_PEPPER, `access-code:${eventId}:${buyerId}:${code}`);
}

/** Always does the same work, found or not, so timing does not tell which buyer ids exist. */
export async function accessCodeMatches(
	env: Env,
	eventId: string,
	buyerId: string,
	code: string,
	storedHash: string | undefined,
): Promise<boolean> {
	const hash = await hashAccessCode(env, eventId, buyerId, code);
	const same = await timingSafeEqualText(hash, storedHash ?? "");
	return same && storedHash !== undefined;
}
