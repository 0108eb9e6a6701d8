// Buyers in D1: who is qualified for an event, how to text them, and the hash of their access code.
// The list is frozen with the event's terms (db/terms.ts): registering or editing a buyer after the first
// claim is refused.
import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { type D1Env, dbOf, schema } from "./client";
import { chunk, excluded, rowsPerStatement } from "./sql";
import { frozenAtQuery, type GuardedWrite, unfrozen } from "./terms";

export type BuyerRow = typeof schema.buyers.$inferSelect;

const BUYER_COLUMNS = Object.keys(getTableColumns(schema.buyers)).length;

/**
 * Inserts buyers or replaces their name, phone and access code (createdAt stays), in one transaction —
 * except the rows of an event whose terms are frozen, which are never written (each row's statement
 * checks its own event, so a freeze cannot fall between the check and the write). `event_locked` when
 * any row's event was frozen; the admin route sends one event's buyers at a time, so then none was.
 */
export async function upsertBuyers(env: D1Env, buyers: readonly BuyerRow[]): Promise<GuardedWrite> {
	const db = dbOf(env);
	const t = schema.buyers;
	const statements = chunk(buyers, rowsPerStatement(BUYER_COLUMNS)).map((part) => {
		// In the table's column order: INSERT … SELECT fills every column by position; column1 is the event.
		const values = sql.join(
			part.map((b) => sql`(${b.eventId}, ${b.id}, ${b.name}, ${b.phone}, ${b.accessCodeHash}, ${b.createdAt})`),
			sql`, `,
		);
		return db
			.insert(t)
			.select(sql`SELECT * FROM (VALUES ${values}) WHERE ${unfrozen(sql.raw("column1"))}`)
			.onConflictDoUpdate({
				target: [t.eventId, t.id],
				set: excluded({ name: t.name, phone: t.phone, accessCodeHash: t.accessCodeHash }),
			});
	});
	if (statements.length === 0) return { kind: "written" };
	const eventIds = [...new Set(buyers.map((b) => b.eventId))];
	const [frozen] = await db.batch([frozenAtQuery(env, eventIds), ...statements]);
	return frozen.length > 0 ? { kind: "event_locked" } : { kind: "written" };
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
