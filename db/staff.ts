// Staff accounts in D1 (API.md v1.1): created by an operator, listed, revoked, and looked up by the
// hash of the bearer token on every admin request. The token hash goes in (create, find) but never
// comes out: every read returns the account without it, so no route can leak it by accident.
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { randomId } from "../lib/crypto";
import type { Actor, StaffRole } from "../lib/staff-roles";
import { type D1Env, dbOf, schema } from "./client";

/** An account as every read returns it: the stored row without its token hash. */
export interface StaffAccount {
	id: string;
	name: string;
	role: StaffRole;
	createdAt: string;
	revokedAt: string | null;
	createdBy: string;
	revokedBy: string | null;
}

export interface NewStaff {
	name: string;
	role: StaffRole;
	/** hex SHA-256 of the token (worker/tokens/staff-token.ts). */
	tokenHash: string;
	createdBy: Actor;
}

const s = schema.staff;

/** Every column but the token hash. */
const ACCOUNT = {
	id: s.id,
	name: s.name,
	role: s.role,
	createdAt: s.createdAt,
	revokedAt: s.revokedAt,
	createdBy: s.createdBy,
	revokedBy: s.revokedBy,
};

/** Creates an account with a fresh id (`st_` + 16 random letters and digits, ≈ 93 bits). */
export async function createStaff(env: D1Env, fields: NewStaff, now: string): Promise<StaffAccount> {
	const [row] = await dbOf(env)
		.insert(s)
		.values({ id: randomId("st_", 16), ...fields, createdAt: now })
		.returning(ACCOUNT);
	if (!row) throw new Error("D1 returned no row for the staff insert");
	return row;
}

/** Every account, revoked ones included, oldest first (a team is a handful of people: no paging). */
export function listStaff(env: D1Env): Promise<StaffAccount[]> {
	return dbOf(env).select(ACCOUNT).from(s).orderBy(asc(s.createdAt), asc(s.id));
}

/**
 * Revokes the account: its token is refused from the next request on, from any isolate, because the
 * lookup below reads D1 every time. Revoking twice keeps the first time and actor (one statement, so
 * two revocations racing cannot overwrite each other). Null when there is no such account.
 */
export async function revokeStaff(env: D1Env, id: string, by: Actor, now: string): Promise<StaffAccount | null> {
	const [row] = await dbOf(env)
		.update(s)
		.set({ revokedAt: sql`coalesce(${s.revokedAt}, ${now})`, revokedBy: sql`coalesce(${s.revokedBy}, ${by})` })
		.where(eq(s.id, id))
		.returning(ACCOUNT);
	return row ?? null;
}

/** The account a token hash belongs to, unless it was revoked; read from D1 on every call (no cache). */
export async function findActiveStaffByTokenHash(env: D1Env, tokenHash: string): Promise<StaffAccount | null> {
	const [row] = await dbOf(env)
		.select(ACCOUNT)
		.from(s)
		.where(and(eq(s.tokenHash, tokenHash), isNull(s.revokedAt)))
		.limit(1);
	return row ?? null;
}
