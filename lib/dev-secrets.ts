// The documented local-development secrets (.dev.vars.example) and how the worker tells that it runs
// locally. These values are public — they are in the repository and the README — so a deployment that
// kept one of them has no secret at all: anyone could mint sessions (SESSION_SECRET), act as the
// operator (ADMIN_TOKEN) or test access codes against a leaked table (ACCESS_CODE_PEPPER).
//
// "Local" is read from the request's own URL: Cloudflare routes a request to a worker only by a
// hostname of the account's zones or workers.dev, so a deployed worker never sees a loopback address,
// a `.localhost` name or a `.test` name (RFC 6761 reserves both; the tests use kaipan.test), while
// `wrangler dev`, `npm start`, the bench's Miniflare and the tests always do. No variable has to be
// remembered (or forgotten) at deploy time, and none can be set by a caller.

/** Each secret's documented development value; lib/dev-secrets.test.ts keeps it equal to the file. */
export const DEV_SECRETS = {
	ADMIN_TOKEN: "dev-admin-token",
	SESSION_SECRET: "dev-session-secret-change-me-0123456789abcdef",
	ACCESS_CODE_PEPPER: "dev-access-code-pepper-change-me-0123456789",
} as const;

export type SecretName = keyof typeof DEV_SECRETS;

/** The secrets that still hold their documented development value. */
export function devSecretsIn(env: Partial<Record<SecretName, string>>): SecretName[] {
	return (Object.keys(DEV_SECRETS) as SecretName[]).filter((name) => env[name] === DEV_SECRETS[name]);
}

/** True for hostnames only a local runtime can be reached by. */
export function isLocalHostname(hostname: string): boolean {
	const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
	return (
		host === "localhost" ||
		host.endsWith(".localhost") ||
		host.endsWith(".test") ||
		host === "::1" ||
		/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
	);
}
