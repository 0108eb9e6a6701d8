// Staff accounts (API.md v1.1): an operator creates a named account with a role and hands its token to
// the person (shown once, here, and never again), lists the accounts, and revokes one; and any staff
// token can ask who it is (`whoami`, for the pages). Mounted under /api/admin, behind staffAuth; which
// role may call which route is in http/admin-roles.ts.
import { Hono } from "hono";
import { z } from "zod";
import { createStaff, listStaff, revokeStaff, type StaffAccount } from "../../db/staff";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { ADMIN_BODY_LIMIT, param, readJson } from "../http/validation";
import { hashStaffToken, newStaffToken } from "../tokens/staff-token";

export const staffBody = z.strictObject({
	name: z.string().trim().min(1).max(100),
	role: z.enum(["operator", "sales", "viewer"]),
});

function staffView(account: StaffAccount) {
	return {
		staffId: account.id,
		name: account.name,
		role: account.role,
		createdAt: account.createdAt,
		revokedAt: account.revokedAt,
	};
}

export const adminStaff = new Hono<AppEnv>()
	.post("/staff", async (c) => {
		const { name, role } = await readJson(c, staffBody, ADMIN_BODY_LIMIT);
		const token = newStaffToken();
		const account = await createStaff(
			c.env,
			{ name, role, tokenHash: await hashStaffToken(token), createdBy: c.get("staff").actor },
			new Date().toISOString(),
		);
		// The only time the token leaves the worker; the answer is no-store like every admin answer.
		return c.json({ staffId: account.id, name: account.name, role: account.role, token });
	})
	.get("/staff", async (c) => {
		return c.json({ staff: (await listStaff(c.env)).map(staffView) });
	})
	.delete("/staff/:staffId", async (c) => {
		const staffId = param(c, "staffId");
		const revoked = await revokeStaff(c.env, staffId, c.get("staff").actor, new Date().toISOString());
		if (!revoked) throw new ApiError("not_found", `No staff account ${staffId}.`);
		return c.body(null, 204);
	})
	.get("/whoami", (c) => {
		const { actor, name, role } = c.get("staff");
		return c.json({ actor, name, role });
	});
