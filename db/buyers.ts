// Buyers in D1: who is qualified for an event, how to text them, and the hash of their access code.
// The list is frozen with the event's terms (db/terms.ts): registering or editing a buyer after the first
// claim is refused.
import { and, eq, getTableColumns, inArray, isNotNull, type SQL, sql } from "drizzle-orm";
import { type D1Env, dbOf, schema } from "./client";
import { chunk, D1_MAX_BOUND_PARAMETERS, excluded, rowsPerStatement } from "./sql";
import { frozenAtQuery, type GuardedWrite, unfrozen } from "./terms";

export type BuyerRow = typeof schema.buyers.$inferSelect;

const BUYER_COLUMNS = Object.keys(getTableColumns(schema.buyers)).length;

/** A buyer to register; `accessCodeHash` null keeps the code an existing buyer was given. */
export type BuyerUpsert = Omit<BuyerRow, "accessCodeHash"> & { accessCodeHash: string | null };

/**
 * Inserts buyers or replaces their name and phone (createdAt stays), and their access code where one
 * is given — a re-registered buyer sent without a code keeps the one it has (API.md) — all in one
 * transaction, except the rows of an event whose terms are frozen, which are never written (each row's
 * statement checks its own event, so a freeze cannot fall between the check and the write).
 * `event_locked` when any row's event was frozen; the admin route sends one event's buyers at a time,
 * so then none was. A buyer without a code and without a row yet (it vanished meanwhile) gets an
 * unusable hash: no code matches it until the operator sets one.
 */
export async function upsertBuyers(env: D1Env, buyers: readonly BuyerUpsert[]): Promise<GuardedWrite> {
	const withCode = buyers.filter((b) => b.accessCodeHash !== null);
	const keepingCode = buyers.filter((b) => b.accessCodeHash === null);
	const t = schema.buyers;
	const statements = [
		...guardedUpserts(env, withCode, { name: t.name, phone: t.phone, accessCodeHash: t.accessCodeHash }),
		...guardedUpserts(env, keepingCode, { name: t.name, phone: t.phone }),
	];
	const [first, ...rest] = statements;
	if (!first) return { kind: "written" };
	const eventIds = [...new Set(buyers.map((b) => b.eventId))];
	const [frozen, committed] = await dbOf(env).batch([
		frozenAtQuery(env, eventIds),
		committedQuery(env, eventIds),
		first,
		...rest,
	]);
	return frozen.length > 0 || committed.length > 0 ? { kind: "event_locked" } : { kind: "written" };
}

/**
 * True while the event's lottery draw is not committed: the commit freezes the buyer list (API.md), and
 * this is checked in the very statement that writes a buyer, so a commit cannot fall between a check
 * and the write. Re-sending an already registered buyer after the commit is refused too (docs/API.md).
 */
function uncommitted(eventId: SQL): SQL {
	return sql`(SELECT ${schema.events.seedHash} FROM ${schema.events} WHERE ${schema.events.id} = ${eventId}) IS NULL`;
}

/** Whether any of the events has committed its draw, for the caller of a guarded batch. */
function committedQuery(env: D1Env, eventIds: readonly string[]) {
	const e = schema.events;
	return dbOf(env)
		.select({ seedHash: e.seedHash })
		.from(e)
		.where(and(inArray(e.id, [...eventIds]), isNotNull(e.seedHash)))
		.limit(1);
}

/** No HMAC output (base64url, 43 characters) is ever equal to this. */
const UNUSABLE_HASH = "!";

function guardedUpserts(env: D1Env, buyers: readonly BuyerUpsert[], replace: Parameters<typeof excluded>[0]) {
	const db = dbOf(env);
	const t = schema.buyers;
	return chunk(buyers, rowsPerStatement(BUYER_COLUMNS)).map((part) => {
		// In the table's column order: INSERT … SELECT fills every column by position; column1 is the event.
		const values = sql.join(
			part.map(
				(b) =>
					sql`(${b.eventId}, ${b.id}, ${b.name}, ${b.phone}, ${b.accessCodeHash ?? UNUSABLE_HASH}, ${b.createdAt})`,
			),
			sql`, `,
		);
		return db
			.insert(t)
			.select(
				sql`SELECT * FROM (VALUES ${values}) WHERE ${unfrozen(sql.raw("column1"))} AND ${uncommitted(sql.raw("column1"))}`,
			)
			.onConflictDoUpdate({ target: [t.eventId, t.id], set: excluded(replace) });
	});
}

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

/** The login's one read: the code's hash and the buyer's name (shown back on the 认购确认书, issue 13). */
export async function findBuyerLogin(
	env: D1Env,
	eventId: string,
	buyerId: string,
): Promise<{ hash: string; name: string | null } | null> {
	const rows = await dbOf(env)
		.select({ hash: schema.buyers.accessCodeHash, name: schema.buyers.name })
		.from(schema.buyers)
		.where(and(eq(schema.buyers.eventId, eventId), eq(schema.buyers.id, buyerId)))
		.limit(1);
	return rows[0] ?? null;
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

/** How many buyers the event has: the live feed sizes its shards by it (worker/live/shard-route.ts). */
export async function countBuyers(env: D1Env, eventId: string): Promise<number> {
	const [row] = await dbOf(env)
		.select({ n: sql<number>`count(*)` })
		.from(schema.buyers)
		.where(eq(schema.buyers.eventId, eventId));
	return row?.n ?? 0;
}
