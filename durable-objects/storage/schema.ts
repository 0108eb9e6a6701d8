// A versioned schema for a Durable Object's SQLite. Objects live for years and keep their data, so the
// first column added to a live object needs a migration that runs exactly once on every object, old
// or new; `CREATE TABLE IF NOT EXISTS` alone can create tables but never change them. This follows
// cloudflare/agents' `_ensureSchema`: read the stored version, run only the newer migrations, record
// the version. The version sits in a one-row table of its own because DO SQLite may refuse
// `PRAGMA user_version`.
//
// Rules for a migration list: versions 1, 2, 3 … in order, never edited or removed once deployed
// (objects already ran them), only appended to. Migration 1 of every object is the DDL it ran before
// versioning existed, and stays idempotent: objects created then have those tables and no version.
import { one } from "./rows";

/** One step of an object's schema; `up` is SQL (several statements allowed) or code for a backfill. */
export interface Migration {
	version: number;
	up: string | ((sql: SqlStorage) => void);
}

const VERSION_TABLE = "schema_version";

/**
 * Brings `storage` to the last version of `migrations` and returns that version. Call it from the
 * constructor: it is synchronous, so no request can see a half-migrated object. Each migration
 * commits together with its version number, so a crash mid-migration leaves the previous version and
 * the migration runs again next time.
 */
export function migrate(storage: DurableObjectStorage, migrations: readonly Migration[]): number {
	const latest = checkOrder(migrations);
	const sql = storage.sql;
	sql.exec(
		`CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)`,
	);
	const stored = storedVersion(storage);
	// Old code over a newer schema (a rollback past a migration) could misread or corrupt rows it does
	// not know; refusing to start is the only safe answer, and it has to be loud to be fixed.
	if (stored > latest) {
		throw new Error(`storage is at schema version ${stored}, newer than this code's ${latest}: refusing to start`);
	}
	for (const migration of migrations) {
		if (migration.version <= stored) continue;
		storage.transactionSync(() => {
			if (typeof migration.up === "string") sql.exec(migration.up);
			else migration.up(sql);
			sql.exec(
				`INSERT INTO ${VERSION_TABLE} (id, version) VALUES (1, ?)
				 ON CONFLICT (id) DO UPDATE SET version = excluded.version`,
				migration.version,
			);
		});
	}
	return latest;
}

/**
 * The version `storage` is at: 0 until its first migration commits (a new object, or one that predates
 * versioning). Reads the table `migrate` creates, so it is for use after `migrate` has run.
 */
export function storedVersion(storage: DurableObjectStorage): number {
	return one<{ version: number }>(storage.sql, `SELECT version FROM ${VERSION_TABLE} WHERE id = 1`)?.version ?? 0;
}

/**
 * A list that is empty, out of order or has a gap is a programming error (a migration deleted, two
 * branches that both added version 3): thrown before anything is written.
 */
function checkOrder(migrations: readonly Migration[]): number {
	if (migrations.length === 0) throw new Error("a schema needs at least one migration");
	if (migrations.some((m, i) => m.version !== i + 1)) {
		const listed = migrations.map((m) => m.version).join(", ");
		throw new Error(`migrations must be numbered 1, 2, 3 … in order; got ${listed}`);
	}
	return migrations.length;
}
