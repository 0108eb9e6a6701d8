// The Durable Objects' storage kit (durable-objects/storage/): versioned schemas, the one alarm rule and
// typed row reads, tried against real DO SQLite inside workerd. Most tests run the kit on a wiped
// object's storage, so that only the migrations under test exist there.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BUYER_QUOTA_SCHEMA, type BuyerQuota } from "../durable-objects/buyer-quota";
import { DASHBOARD_HUB_SCHEMA, type DashboardHub } from "../durable-objects/dashboard-hub";
import { FEED_INPUT_SCHEMA, type FeedInput } from "../durable-objects/feed-input";
import { HUB_SHARD_SCHEMA, type HubShard } from "../durable-objects/hub-shard";
import { LISTING_INVENTORY_SCHEMA, type ListingInventory } from "../durable-objects/listing-inventory";
import { wakeBy } from "../durable-objects/storage/alarm";
import { all, one } from "../durable-objects/storage/rows";
import { type Migration, migrate, storedVersion } from "../durable-objects/storage/schema";
import { uniqueId } from "./helpers";

/** What ListingInventory's constructor ran before versioning: every object created then has these tables. */
const INVENTORY_DDL_BEFORE_VERSIONING = `
	CREATE TABLE IF NOT EXISTS terms (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		event_id TEXT NOT NULL, listing_id TEXT NOT NULL, stock INTEGER NOT NULL,
		price_cents INTEGER NOT NULL, hold_seconds INTEGER NOT NULL);
	CREATE TABLE IF NOT EXISTS holds (
		hold_id TEXT PRIMARY KEY, buyer_id TEXT NOT NULL, status TEXT NOT NULL,
		expires_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
		version INTEGER NOT NULL);
	CREATE INDEX IF NOT EXISTS holds_by_buyer ON holds (buyer_id, status);
	CREATE INDEX IF NOT EXISTS holds_by_expiry ON holds (status, expires_at);
	CREATE TABLE IF NOT EXISTS fenced (hold_id TEXT PRIMARY KEY);
	CREATE TABLE IF NOT EXISTS outbox (
		seq INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, body TEXT NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL);
`;

const NOTES: Migration = { version: 1, up: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)" };
const SEED: Migration = { version: 2, up: "INSERT INTO notes (text) VALUES ('seeded once')" };

/** `storage` at `version` of `schema` with `rows` written, then brought to the latest version (returned). */
function upgraded(
	storage: DurableObjectStorage,
	schema: readonly Migration[],
	version: number,
	rows: string[],
): number {
	migrate(storage, schema.slice(0, version));
	for (const row of rows) storage.sql.exec(row);
	return migrate(storage, schema);
}

/** Runs `fn` on the storage of a fresh object whose own tables were wiped: a blank SQLite. */
function inBlankStorage<T>(fn: (storage: DurableObjectStorage) => T | Promise<T>): Promise<T> {
	return runInDurableObject(env.BUYER_QUOTA.getByName(uniqueId("kit")), async (_: BuyerQuota, state) => {
		await state.storage.deleteAll();
		return fn(state.storage);
	});
}

function tables(storage: DurableObjectStorage): string[] {
	return all<{ name: string }>(
		storage.sql,
		"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name",
	).map((t) => t.name);
}

function count(storage: DurableObjectStorage, table: string): number {
	return storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
}

describe("migrate", () => {
	it("runs each migration once: a second construction runs nothing again", async () => {
		await inBlankStorage((storage) => {
			expect(migrate(storage, [NOTES, SEED])).toBe(2);
			expect(migrate(storage, [NOTES, SEED])).toBe(2);
			expect(count(storage, "notes")).toBe(1);
			expect(storedVersion(storage)).toBe(2);
		});
	});

	it("brings storage created at version 1 to version 2 and keeps its rows", async () => {
		await inBlankStorage((storage) => {
			migrate(storage, [NOTES]);
			storage.sql.exec("INSERT INTO notes (text) VALUES ('written at v1'), ('also v1')");
			const addColumn: Migration = {
				version: 2,
				up: (sql) => {
					sql.exec("ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0");
					sql.exec("UPDATE notes SET pinned = 1 WHERE text = 'also v1'");
				},
			};
			expect(migrate(storage, [NOTES, addColumn])).toBe(2);
			expect(all(storage.sql, "SELECT text, pinned FROM notes ORDER BY id")).toEqual([
				{ text: "written at v1", pinned: 0 },
				{ text: "also v1", pinned: 1 },
			]);
		});
	});

	it("brings a live buyer object to a new version with its session intact", async () => {
		const eventId = uniqueId("ev");
		const buyer = env.BUYER_QUOTA.getByName(`${eventId}:B1`);
		const login = await buyer.login(eventId, "B1", 60_000);
		const current = BUYER_QUOTA_SCHEMA.length;
		const device: Migration = { version: current + 1, up: "ALTER TABLE session ADD COLUMN device TEXT" };
		await runInDurableObject(buyer, (_: BuyerQuota, state) => {
			expect(storedVersion(state.storage)).toBe(current);
			expect(migrate(state.storage, [...BUYER_QUOTA_SCHEMA, device])).toBe(current + 1);
			expect(one(state.storage.sql, "SELECT session_id, device FROM session")).toEqual({
				session_id: login.sessionId,
				device: null,
			});
		});
		expect(await buyer.isSessionCurrent(login.sessionId)).toBe(true);
	});

	it("adopts an object created before versioning: it ends at the current version with its rows", async () => {
		const inventory = env.LISTING_INVENTORY.getByName(uniqueId("ev:L1"));
		await runInDurableObject(inventory, async (_: ListingInventory, state) => {
			// Back to what the old code left: its tables and rows, no version table.
			await state.storage.deleteAll();
			state.storage.sql.exec(INVENTORY_DDL_BEFORE_VERSIONING);
			state.storage.sql.exec(
				"INSERT INTO terms (id, event_id, listing_id, stock, price_cents, hold_seconds) VALUES (1, 'ev', 'L1', 1, 500, 60)",
			);
			state.storage.sql.exec(
				`INSERT INTO holds (hold_id, buyer_id, status, expires_at, created_at, updated_at, version)
				 VALUES ('h-old', 'B1', 'confirmed', NULL, 1, 2, 2)`,
			);
			expect(tables(state.storage)).not.toContain("schema_version");
		});
		await evictDurableObject(inventory);

		const snapshot = await inventory.snapshot();
		expect(snapshot.terms).toEqual({ eventId: "ev", listingId: "L1", stock: 1, priceCents: 500, holdSeconds: 60 });
		expect(snapshot.holds.map((h) => [h.holdId, h.status, h.version])).toEqual([["h-old", "confirmed", 2]]);
		expect(snapshot.available).toBe(0);
		const version = await runInDurableObject(inventory, (_: ListingInventory, state) => storedVersion(state.storage));
		expect(version).toBe(LISTING_INVENTORY_SCHEMA.length);
	});

	it("is run by every object's constructor", async () => {
		const versions = [
			await runInDurableObject(env.BUYER_QUOTA.getByName(uniqueId("v")), (_: BuyerQuota, state) =>
				storedVersion(state.storage),
			),
			await runInDurableObject(env.LISTING_INVENTORY.getByName(uniqueId("v")), (_: ListingInventory, state) =>
				storedVersion(state.storage),
			),
			await runInDurableObject(env.DASHBOARD_HUB.getByName(uniqueId("v")), (_: DashboardHub, state) =>
				storedVersion(state.storage),
			),
			await runInDurableObject(env.HUB_SHARD.getByName(uniqueId("v")), (_: HubShard, state) =>
				storedVersion(state.storage),
			),
			await runInDurableObject(env.FEED_INPUT.getByName(uniqueId("v")), (_: FeedInput, state) =>
				storedVersion(state.storage),
			),
		];
		expect(versions).toEqual([
			BUYER_QUOTA_SCHEMA.length,
			LISTING_INVENTORY_SCHEMA.length,
			DASHBOARD_HUB_SCHEMA.length,
			HUB_SHARD_SCHEMA.length,
			FEED_INPUT_SCHEMA.length,
		]);
	});

	it("a hub and a shard from before the feed inputs keep what they still use and get the copy's tables", async () => {
		await inBlankStorage((storage) => {
			migrate(storage, DASHBOARD_HUB_SCHEMA.slice(0, 2));
			storage.sql.exec("INSERT INTO holds VALUES ('h1', 'L1', 'held', 1)");
			storage.sql.exec("INSERT INTO shards (idx, sockets) VALUES (3, 17)");
			storage.sql.exec("INSERT INTO tickets VALUES ('t1', 1)");
			expect(migrate(storage, DASHBOARD_HUB_SCHEMA)).toBe(3);
			expect(tables(storage)).toEqual(
				expect.arrayContaining(["feed_inputs", "feed_listings", "meta", "shards", "tickets", "claim_seconds"]),
			);
			expect(tables(storage)).not.toContain("holds");
			// The shard registry and the used tickets survive: staff stats and one-time tickets need them.
			expect(all(storage.sql, "SELECT idx, sockets FROM shards")).toEqual([{ idx: 3, sockets: 17 }]);
			expect(count(storage, "tickets")).toBe(1);
		});
		await inBlankStorage((storage) => {
			migrate(storage, HUB_SHARD_SCHEMA.slice(0, 1));
			storage.sql.exec("INSERT INTO meta (id, event_id, idx) VALUES (1, 'ev', 2)");
			storage.sql.exec("INSERT INTO listings VALUES ('L1', 0, 'held', 9)");
			expect(migrate(storage, HUB_SHARD_SCHEMA)).toBe(2);
			expect(all(storage.sql, "SELECT event_id, idx FROM meta")).toEqual([{ event_id: "ev", idx: 2 }]);
			expect(tables(storage)).not.toContain("listings");
			// Its copy is empty until its next connect joins the inputs.
			expect(count(storage, "feed_listings")).toBe(0);
		});
	});

	it("a feed input from before the retries keeps its subscribers, none of them waiting for a retry, its batches settled", async () => {
		await inBlankStorage((storage) => {
			const before = [
				"INSERT INTO meta (id, event_id, input, epoch, seq) VALUES (1, 'ev', 0, 'e1', 7)",
				"INSERT INTO listings (id, stock, available, status) VALUES ('L1', 1, 0, 'held')",
				"INSERT INTO subscribers (idx) VALUES (-1), (3)",
			];
			expect(upgraded(storage, FEED_INPUT_SCHEMA, 1, before)).toBe(2);
			expect(all(storage.sql, "SELECT idx, missed, failures, retry_at FROM subscribers ORDER BY idx")).toEqual([
				{ idx: -1, missed: null, failures: 0, retry_at: null },
				{ idx: 3, missed: null, failures: 0, retry_at: null },
			]);
			// Its batches so far count as settled, and have no number on their listings: none is sent again.
			expect(all(storage.sql, "SELECT seq, settled FROM meta")).toEqual([{ seq: 7, settled: 7 }]);
			expect(all(storage.sql, "SELECT id, batch FROM listings")).toEqual([{ id: "L1", batch: 0 }]);
		});
	});

	it("leaves the previous version and none of a migration's changes when it fails halfway", async () => {
		await inBlankStorage((storage) => {
			migrate(storage, [NOTES]);
			const broken: Migration = {
				version: 2,
				up: "CREATE TABLE tags (name TEXT); INSERT INTO notes (text) VALUES ('half'); INSERT INTO nowhere VALUES (1)",
			};
			expect(() => migrate(storage, [NOTES, broken])).toThrow(/nowhere/);
			expect(storedVersion(storage)).toBe(1);
			expect(tables(storage)).not.toContain("tags");
			expect(count(storage, "notes")).toBe(0);
		});
	});

	it("throws on a list that is empty, out of order, has a gap or does not start at 1, writing nothing", async () => {
		await inBlankStorage((storage) => {
			const bad: Migration[][] = [
				[],
				[SEED, NOTES],
				[NOTES, { version: 3, up: "SELECT 1" }],
				[NOTES, { version: 1, up: "SELECT 1" }],
				[{ version: 0, up: "SELECT 1" }],
				[SEED],
			];
			for (const list of bad) expect(() => migrate(storage, list)).toThrow(/migration/);
			expect(tables(storage)).toEqual([]);
		});
	});

	it("refuses storage whose version is newer than the code (a rollback) and changes nothing", async () => {
		await inBlankStorage((storage) => {
			migrate(storage, [NOTES, SEED]);
			expect(() => migrate(storage, [NOTES])).toThrow(/schema version 2, newer than this code's 1/);
			expect(storedVersion(storage)).toBe(2);
			expect(count(storage, "notes")).toBe(1);
		});
	});
});

describe("wakeBy", () => {
	const HOUR = 3_600_000;

	/** Runs `fn` on a fresh object's storage and clears its alarm after, so nothing fires later. */
	function withAlarm(fn: (storage: DurableObjectStorage, base: number) => Promise<void>): Promise<void> {
		return runInDurableObject(env.BUYER_QUOTA.getByName(uniqueId("alarm")), async (_: BuyerQuota, state) => {
			try {
				await fn(state.storage, Date.now() + HOUR);
			} finally {
				await state.storage.deleteAlarm();
			}
		});
	}

	it("sets the alarm when none is set", async () => {
		await withAlarm(async (storage, base) => {
			expect(await storage.getAlarm()).toBeNull();
			await wakeBy(storage, base);
			expect(await storage.getAlarm()).toBe(base);
		});
	});

	it("never moves an earlier alarm later", async () => {
		await withAlarm(async (storage, base) => {
			await storage.setAlarm(base);
			for (const later of [base + 1, base + HOUR, base]) {
				await wakeBy(storage, later);
				expect(await storage.getAlarm()).toBe(base);
			}
		});
	});

	it("brings a later alarm forward", async () => {
		await withAlarm(async (storage, base) => {
			await storage.setAlarm(base + HOUR);
			await wakeBy(storage, base);
			expect(await storage.getAlarm()).toBe(base);
		});
	});
});

describe("row reads", () => {
	it("one gives the row of a keyed query, undefined when there is none, and throws when there are two", async () => {
		await inBlankStorage((storage) => {
			storage.sql.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER); INSERT INTO t VALUES ('a', 1), ('b', 2)");
			expect(one<{ v: number }>(storage.sql, "SELECT v FROM t WHERE k = ?", "b")).toEqual({ v: 2 });
			expect(one(storage.sql, "SELECT v FROM t WHERE k = ?", "z")).toBeUndefined();
			expect(() => one(storage.sql, "SELECT v FROM t")).toThrow(/at most one row/);
		});
	});

	it("all gives every row in order", async () => {
		await inBlankStorage((storage) => {
			storage.sql.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER); INSERT INTO t VALUES ('a', 1), ('b', 2)");
			expect(all<{ k: string }>(storage.sql, "SELECT k FROM t WHERE v >= ? ORDER BY k", 1)).toEqual([
				{ k: "a" },
				{ k: "b" },
			]);
			expect(all(storage.sql, "SELECT k FROM t WHERE v > ?", 5)).toEqual([]);
		});
	});
});
