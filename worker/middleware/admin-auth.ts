// Operator authentication: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.
import { createMiddleware } from "hono/factory";
import { timingSafeEqualText } from "../../lib/crypto";
import type { StaffIdentity } from "../../lib/staff-roles";
import type { AppEnv } from "../http/app-env";
import { bearerToken } from "../http/credentials";
import { ApiError } from "../http/errors";

declare module "hono" {
	interface ContextVariableMap {
		/** Set by adminAuth: who is acting (the ledger's actor) and with which role. */
		staff: StaffIdentity;
	}
}

export function adminAuth() {
	return createMiddleware<AppEnv>(async function adminAuth(c, next) {
		const expected = c.env.ADMIN_TOKEN;
		if (!expected) throw new Error("ADMIN_TOKEN is not configured");
		const token = bearerToken(c.req.header("authorization"));
		if (!token) throw new ApiError("unauthenticated", "Operator routes need Authorization: Bearer <ADMIN_TOKEN>.");
		if (!(await timingSafeEqualText(token, expected))) {
			throw new ApiError("forbidden", "This token may not use operator routes.");
		}
		c.set("staff", { actor: "admin", name: "ADMIN_TOKEN", role: "operator" });
		await next();
	});
}
