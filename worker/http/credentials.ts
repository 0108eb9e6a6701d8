// Where a caller's credential travels: `Authorization: Bearer` (apps, scripts, staff) or the buyer's
// session cookie (browsers). Read by authentication and by the CSRF guard, which must agree on both.

export const SESSION_COOKIE = "kp_session";

export function bearerToken(header: string | undefined): string | undefined {
	const match = header?.match(/^Bearer\s+(\S+)$/i);
	return match?.[1];
}
