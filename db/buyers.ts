// Buyers in D1: who is qualified for an event, how to text them, and the hash of their access code.
import { and, eq, getTableColumns, inArray } from "drizzle-orm";
import { type D1Env, dbOf, runBatch, schema } from "./client";
import { chunk, D1_MAX_BOUND_PARAMETERS, excluded, rowsPerStatement } from "./sql";

export type BuyerRow = typeof schema.buyers.$inferSelect;

const BUYER_COLUMNS = Object.keys(getTableColumns(schema.buyers)).length;

/** Inserts buyers or replaces their name, phone and access code (createdAt stays), in one transaction. */
export async function upsertBuyers(env: D1Env, buyers: readonly BuyerRow[]): Promise<void> {
	const db = dbOf(env);
	const t = schema.buyers;
	const statements = chunk(buyers, rowsPerStatement(BUYER_COLUMNS)).map((part) =>
		db
			.insert(t)
			.values(part)
			.onConflictDoUpdate({
				target: [t.eventId, t.id],
				set: excluded({ name: t.name, phone: t.phone, accessCodeHash: t.accessCodeHash }),
			}),
	);
	await runBatch(db, statements);
}

/**
 * Updates the name and phone of buyers who already exist and keeps their access code (API.md: a
 * re-registered buyer sent without a code keeps the one it was given). A row that vanished meanwhile
 * is inserted with an unusable hash: no code matches it until the operator sets one.
 */
export async function refreshBuyerContacts(
	env: D1Env,
	buyers: readonly Omit<BuyerRow, "accessCodeHash">[],
): Promise<void> {
	const db = dbOf(env);
	const t = schema.buyers;
	const statements = chunk(buyers, rowsPerStatement(BUYER_COLUMNS)).map((part) =>
		db
			.insert(t)
			.values(part.map((b) => ({ ...b, accessCodeHash: UNUSABLE_HASH })))
			.onConflictDoUpdate({ target: [t.eventId, t.id], set: excluded({ name: t.name, phone: t.phone }) }),
	);
	await runBatch(db, statements);
}

/** No HMAC output (base64url, 43 characters) is ever equal to this. */
const UNUSABLE_HASH = "!";

/** Which of `ids` the event already has. */
export async function existingBuyerIds(env: D1Env, eventId: string, ids: readonly string[]): Promise<Set<string>> {
	const db = dbOf(env);
	const found = new Set<string>();
	for (const part of chunk(ids, D1_MAX_BOUND_PARAMETERS - 1)) {
		const rows = await db
			.select({ id: schema.buyers.id })
			.from(schema.buyers)
			.where(and(eq(schema.buyers.eventId, eventId), inArray(schema.buyers.id, part)));
		for (const r of rows) found.add(r.id);
	}
	return found;
}

/** The stored access-code hash a login is checked against; null when the event has no such buyer. */
export async function findAccessCodeHash(env: D1Env, eventId: string, buyerId: string): Promise<string | null> {
	const rows = await dbOf(env)
		.select({ hash: schema.buyers.accessCodeHash })
		.from(schema.buyers)
		.where(and(eq(schema.buyers.eventId, eventId), eq(schema.buyers.id, buyerId)))
		.limit(1);
	return rows[0]?.hash ?? null;
}

/** Where a buyer's SMS go; null when the buyer gave no phone or is not on the event's list. */
export async function findBuyerPhone(env: D1Env, eventId: string, buyerId: string): Promise<string | null> {
	const rows = await dbOf(env)
		.select({ phone: schema.buyers.phone })
		.from(schema.buyers)
		.where(and(eq(schema.buyers.eventId, eventId), eq(schema.buyers.id, buyerId)))
		.limit(1);
	return rows[0]?.phone ?? null;
}
