// Operator degradation switches (worker/flags.ts).
import { Hono } from "hono";
import { flagsSchema, readFlags, saveFlags } from "../flags";
import type { AppEnv } from "../hono-env";
import { ADMIN_BODY_LIMIT, readJson } from "../validation";

export const adminFlags = new Hono<AppEnv>()
	.get("/", async (c) => c.json({ flags: await readFlags(c.env) }))
	.put("/", async (c) => {
		const changes = await readJson(c, flagsSchema.partial(), ADMIN_BODY_LIMIT);
		return c.json({ flags: await saveFlags(c.env, changes) });
	});
