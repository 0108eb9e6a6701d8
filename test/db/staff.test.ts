// db/staff.ts against the local D1: accounts are created with fresh ids, listed without their token
// hash, found by hash only while active, and revoked once (a second revocation keeps the first).
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dbOf, schema } from "../../db/client";
import { createStaff, findActiveStaffByTokenHash, listStaff, revokeStaff } from "../../db/staff";
import { uniqueId } from "./utils";

/** A stand-in token hash, unique per call (the real one is worker/tokens/staff-token.ts's SHA-256). */
function tokenHash(): string {
	return `hash-${uniqueId("t")}`;
}

describe("createStaff", () => {
	it("stores the account under a fresh st_ id and returns it without the hash", async () => {
		const hash = tokenHash();
		const now = new Date().toISOString();
		const account = await createStaff(env, { name: "王芳", role: "sales", tokenHash: hash, createdBy: "admin" }, now);
		expect(account).toEqual({
			id: expect.stringMatching(/^st_[A-Za-z0-9]{16}$/),
			name: "王芳",
			role: "sales",
			createdAt: now,
			revokedAt: null,
			createdBy: "admin",
			revokedBy: null,
		});
		expect(account).not.toHaveProperty("tokenHash");
		const [row] = await dbOf(env).select().from(schema.staff).where(eq(schema.staff.id, account.id));
		expect(row?.tokenHash).toBe(hash);
	});

	it("gives two accounts with the same name different ids", async () => {
		const fields = { name: "Same Name", role: "viewer" as const, createdBy: "admin" as const };
		const now = new Date().toISOString();
		const a = await createStaff(env, { ...fields, tokenHash: tokenHash() }, now);
		const b = await createStaff(env, { ...fields, tokenHash: tokenHash() }, now);
		expect(a.id).not.toBe(b.id);
	});

	it("refuses a token hash that is already stored (one hash, one account)", async () => {
		const hash = tokenHash();
		const now = new Date().toISOString();
		await createStaff(env, { name: "A", role: "viewer", tokenHash: hash, createdBy: "admin" }, now);
		await expect(
			createStaff(env, { name: "B", role: "operator", tokenHash: hash, createdBy: "admin" }, now),
		).rejects.toThrow();
	});
});

describe("findActiveStaffByTokenHash", () => {
	it("finds the account of a hash while it is active, and nothing for an unknown hash", async () => {
		const hash = tokenHash();
		const account = await createStaff(
			env,
			{ name: "Viewer", role: "viewer", tokenHash: hash, createdBy: "admin" },
			new Date().toISOString(),
		);
		expect(await findActiveStaffByTokenHash(env, hash)).toEqual(account);
		expect(await findActiveStaffByTokenHash(env, tokenHash())).toBeNull();
	});

	it("finds nothing once the account is revoked", async () => {
		const hash = tokenHash();
		const account = await createStaff(
			env,
			{ name: "Leaver", role: "operator", tokenHash: hash, createdBy: "admin" },
			new Date().toISOString(),
		);
		await revokeStaff(env, account.id, "admin", new Date().toISOString());
		expect(await findActiveStaffByTokenHash(env, hash)).toBeNull();
	});
});

describe("revokeStaff", () => {
	it("stamps the time and the actor once; revoking again keeps the first", async () => {
		const account = await createStaff(
			env,
			{ name: "Twice", role: "sales", tokenHash: tokenHash(), createdBy: "admin" },
			"2026-01-01T00:00:00.000Z",
		);
		const first = await revokeStaff(env, account.id, "staff:st_first", "2026-01-02T00:00:00.000Z");
		expect(first).toMatchObject({ revokedAt: "2026-01-02T00:00:00.000Z", revokedBy: "staff:st_first" });
		const second = await revokeStaff(env, account.id, "admin", "2026-01-03T00:00:00.000Z");
		expect(second).toMatchObject({ revokedAt: "2026-01-02T00:00:00.000Z", revokedBy: "staff:st_first" });
	});

	it("is null for an id that names no account", async () => {
		expect(await revokeStaff(env, uniqueId("st"), "admin", new Date().toISOString())).toBeNull();
	});
});

describe("listStaff", () => {
	it("lists every account, revoked ones included, oldest first, without token hashes", async () => {
		const old = await createStaff(
			env,
			{ name: "Old", role: "viewer", tokenHash: tokenHash(), createdBy: "admin" },
			"2000-01-01T00:00:00.000Z",
		);
		const revoked = await createStaff(
			env,
			{ name: "Gone", role: "sales", tokenHash: tokenHash(), createdBy: "admin" },
			"2000-01-02T00:00:00.000Z",
		);
		await revokeStaff(env, revoked.id, "admin", "2000-01-03T00:00:00.000Z");
		const all = await listStaff(env);
		const ids = all.map((a) => a.id);
		expect(ids).toContain(old.id);
		expect(ids.indexOf(old.id)).toBeLessThan(ids.indexOf(revoked.id));
		expect(all.find((a) => a.id === revoked.id)?.revokedAt).toBe("2000-01-03T00:00:00.000Z");
		for (const account of all) expect(account).not.toHaveProperty("tokenHash");
	});
});
