// Claims carry X-Purchase-Token: issued only while the event is open, bound to this session.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { param } from "../http/validation";
import { purchaseTokenValid } from "../tokens/purchase-token";

export function requirePurchaseToken() {
	return createMiddleware<AppEnv>(async function requirePurchaseToken(c, next) {
		const valid = await purchaseTokenValid(
			c.env.SESSION_SECRET,
			c.req.header("x-purchase-token"),
			c.get("session"),
			param(c, "eventId"),
		);
		if (!valid) {
			throw new ApiError(
				"bad_purchase_token",
				"X-Purchase-Token is missing, expired, or was issued to another session; fetch a new one.",
			);
		}
		await next();
	});
}
