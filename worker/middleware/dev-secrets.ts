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
		const kept = devSecretsIn(c.env);
		if (kept.length > 0 && !isLocalHostname(new URL(c.req.url).hostname)) {
			console.error("documented development secrets in a deployment; set real ones", { secrets: kept });
			throw new ApiError("degraded", "This deployment is not configured for use yet.", { retryAfter: 3600 });
		}
		await next();
	});
}
