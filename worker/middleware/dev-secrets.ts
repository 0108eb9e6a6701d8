// Refuses every API request of a deployment that kept a documented development secret (lib/dev-secrets.ts
// says which and how "local" is told): with a public secret, a session, a purchase token or the operator
// token is anyone's, so the worker answers 503 rather than take claims or operator calls. Local
// development (`npm start`, `wrangler dev`, the tests, the bench) is unaffected.
import { createMiddleware } from "hono/factory";
import { devSecretsIn, isLocalHostname } from "../../lib/dev-secrets";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";

export function refuseDevSecretsOutsideLocal() {
	return createMiddleware<AppEnv>(async function refuseDevSecretsOutsideLocal(c, next) {
		const kept = keptSecrets(c.env);
		if (kept.length > 0 && !isLocalOrigin(c.req.url)) {
			console.error("documented development secrets in a deployment; set real ones", { secrets: kept });
			throw new ApiError("degraded", "This deployment is not configured for use yet.", { retryAfter: 3600 });
		}
		await next();
	});
}

// Both answers are remembered per isolate: this runs on every API request, the sold-out answer the
// crowd gets most among them, and neither the secrets nor a hostname's locality change (the bench's
// profile of that answer had this middleware at ~4 % of its CPU, most of it parsing the URL).
const keptByEnv = new WeakMap<object, ReturnType<typeof devSecretsIn>>();
const localByOrigin = new Map<string, boolean>();
/** Origins remembered at most (a local runtime answers whatever Host it is sent). */
const MAX_ORIGINS = 32;

function keptSecrets(env: Env): ReturnType<typeof devSecretsIn> {
	let kept = keptByEnv.get(env);
	if (!kept) {
		kept = devSecretsIn(env);
		keptByEnv.set(env, kept);
	}
	return kept;
}

function isLocalOrigin(url: string): boolean {
	const end = url.indexOf("/", url.indexOf("//") + 2);
	const origin = end === -1 ? url : url.slice(0, end);
	const known = localByOrigin.get(origin);
	if (known !== undefined) return known;
	const local = isLocalHostname(new URL(url).hostname);
	if (localByOrigin.size < MAX_ORIGINS) localByOrigin.set(origin, local);
	return local;
}
