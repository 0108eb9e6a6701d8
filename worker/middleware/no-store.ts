// Cache-Control: no-store on answers that carry a secret or a buyer's own data (API.md conventions):
// set after the handler, so that errors on these routes (which may still name the buyer) carry it too.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/app-env";

export function noStore() {
	return createMiddleware<AppEnv>(async function noStore(c, next) {
		await next();
		c.res.headers.set("cache-control", "no-store");
	});
}
