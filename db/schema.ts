// D1 schema: the system of record for events, catalogue, buyers, orders, notifications and staff accounts.
// The inventory Durable Objects are the source of truth for who holds what; `orders` is fed from
// them through the orders queue and kept idempotent by the hold id and a per-hold version.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { StaffRole } from "../lib/staff-roles";

export const events = sqliteTable("events", {
	id: text("id").primaryKey(),
	name: text("name").notNull(),
	startsAt: text("starts_at").notNull(),
	endsAt: text("ends_at").notNull(),
	holdSeconds: integer("hold_seconds").notNull(),
	perBuyerLimit: integer("per_buyer_limit").notNull(),
	currency: text("currency").notNull(),
	/** "auto" derives the status from startsAt/endsAt; anything else is an operator override. */
	statusMode: text("status_mode").notNull().default("auto"),
	/** Set the first time the event is open; from then on its catalogue and rules are locked. */
	openedAt: text("opened_at"),
	/**
	 * Set once, by the first claim of the event (db/terms.ts): from then on the listings, the buyers and
	 * the claim rules (startsAt, holdSeconds, perBuyerLimit, currency) are what the objects were given,
	 * and every admin write of them is refused in the same D1 transaction that would have made it.
	 */
	termsFrozenAt: text("terms_frozen_at"),
	createdAt: text("created_at").notNull(),
	updatedAt: text("updated_at").notNull(),
	/** "race" (v1: everyone from the opening) or "lottery" (API.md v1.1: entry in a drawn order, in batches). */
	mode: text("mode").$type<EventMode>().notNull().default("race"),
	/** Lottery: buyers per batch (1–1,000), and seconds between batches (10–86,400). Locked at the commit. */
	batchSize: integer("batch_size").notNull().default(10),
	batchSeconds: integer("batch_seconds").notNull().default(300),
	// The draw (db/draws.ts, lib/draw.ts): each column is written once, by a statement whose WHERE
	// refuses a second write, so two concurrent commits or reveals can never both succeed.
	/** The operator's commitment: hex SHA-256 of the secret seed. Set: the buyer list is frozen. */
	seedHash: text("seed_hash"),
	/** When the commit landed. */
	committedAt: text("committed_at"),
	/** The frozen buyer list's fingerprint and size, computed from the list frozen by the commit. */
	buyersHash: text("buyers_hash"),
	buyerCount: integer("buyer_count"),
	/** The revealed seed and beacon, and when; the order itself is in draw_orders. */
	seed: text("seed"),
	beacon: text("beacon"),
	drawnAt: text("drawn_at"),
	/**
	 * Auto-claim (API.md v1.1 "Wish lists and auto-claim"): seconds after a buyer's entry time at which
	 * a buyer with autoClaim on who holds nothing is given its first wish still available (0–3,600).
	 */
	autoClaimDelaySeconds: integer("auto_claim_delay_seconds").notNull().default(30),
	/**
	 * A rehearsal (模拟开盘, docs/API.md): the id of the real event this one is a practice copy of; null
	 * for a real event. A rehearsal sends no SMS and shares nothing keyed by event with the real one.
	 */
	rehearsalOf: text("rehearsal_of"),
});

export type EventMode = "race" | "lottery";

/**
 * The D1 copy of each buyer's wish list (收藏). The buyer's object (durable-objects/buyer-quota.ts)
 * holds the authoritative one; this copy feeds the staff heat map and the list of auto-claim buyers to
 * re-arm when the event opens. `version` is the object's own counter: an older copy never overwrites
 * a newer one, however the writes arrive.
 */
export const wishlists = sqliteTable(
	"wishlists",
	{
		eventId: text("event_id").notNull(),
		buyerId: text("buyer_id").notNull(),
		/** JSON array of listing ids, best first (at most 10). */
		listingIds: text("listing_ids").notNull(),
		autoClaim: integer("auto_claim", { mode: "boolean" }).notNull(),
		version: integer("version").notNull(),
		updatedAt: text("updated_at").notNull(),
	},
	(t) => [primaryKey({ columns: [t.eventId, t.buyerId] }), index("wishlists_auto").on(t.eventId, t.autoClaim)],
);

/** The published order of a drawn lottery event: buyer ids, first to enter first, as a JSON array. */
export const drawOrders = sqliteTable("draw_orders", {
	eventId: text("event_id").primaryKey(),
	order: text("order_json").notNull(),
});

export const listings = sqliteTable(
	"listings",
	{
		eventId: text("event_id").notNull(),
		id: text("id").notNull(),
		building: text("building").notNull(),
		floor: integer("floor").notNull(),
		unit: text("unit").notNull(),
		layout: text("layout").notNull(),
		areaM2: real("area_m2").notNull(),
		priceCents: integer("price_cents").notNull(),
		stock: integer("stock").notNull(),
	},
	(t) => [primaryKey({ columns: [t.eventId, t.id] })],
);

export const buyers = sqliteTable(
	"buyers",
	{
		eventId: text("event_id").notNull(),
		id: text("id").notNull(),
		name: text("name"),
		phone: text("phone"),
		/** HMAC-SHA256 of the access code under the ACCESS_CODE_PEPPER secret; the code itself is never stored. */
		accessCodeHash: text("access_code_hash").notNull(),
		createdAt: text("created_at").notNull(),
	},
	(t) => [primaryKey({ columns: [t.eventId, t.id] })],
);

export const orders = sqliteTable(
	"orders",
	{
		holdId: text("hold_id").primaryKey(),
		eventId: text("event_id").notNull(),
		listingId: text("listing_id").notNull(),
		buyerId: text("buyer_id").notNull(),
		/** held | confirmed | released | expired | cancelled */
		status: text("status").notNull(),
		priceCents: integer("price_cents").notNull(),
		createdAt: text("created_at").notNull(),
		updatedAt: text("updated_at").notNull(),
		/** Monotonic per hold: a redelivered or reordered queue message never moves a row backwards. */
		version: integer("version").notNull(),
		/**
		 * D1's own arrival order: max + 1 at the insert, never changed by an update. The export pages by
		 * it, so an order that reaches D1 late (created earlier, written after a page was served) comes
		 * after everything already served instead of being skipped. A column of ours rather than the
		 * rowid: a rowid of a table without an INTEGER PRIMARY KEY may be renumbered by VACUUM or by an
		 * export and import, and a cursor must outlive both.
		 */
		seq: integer("seq").notNull().default(0),
	},
	(t) => [
		index("orders_event_created").on(t.eventId, t.createdAt, t.holdId),
		index("orders_event_listing").on(t.eventId, t.listingId, t.status),
		uniqueIndex("orders_seq").on(t.seq),
		index("orders_event_seq").on(t.eventId, t.seq),
	],
);

export const notifications = sqliteTable(
	"notifications",
	{
		/** `${holdId}:${kind}`: one message per hold and kind, however often the queue delivers. */
		id: text("id").primaryKey(),
		eventId: text("event_id").notNull(),
		buyerId: text("buyer_id").notNull(),
		holdId: text("hold_id").notNull(),
		kind: text("kind").notNull(),
		phone: text("phone"),
		body: text("body").notNull(),
		provider: text("provider").notNull(),
		createdAt: text("created_at").notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
	},
	(t) => [index("notifications_event_created").on(t.eventId, t.createdAt)],
);

/** Operator switches (degradation flags), one JSON value per key; see db/settings.ts. */
export const settings = sqliteTable("settings", {
	key: text("key").primaryKey(),
	value: text("value").notNull(),
	updatedAt: text("updated_at").notNull(),
});

/** Messages that exhausted their retries, parked for inspection and replay (queue-consumers/dead-letters.ts). */
export const deadLetters = sqliteTable("dead_letters", {
	/** The queue message id: a dead letter delivered twice is parked once. */
	id: text("id").primaryKey(),
	/** The queue the message failed on, without the "-dlq" suffix: where a replay sends it. */
	queue: text("queue").notNull(),
	body: text("body").notNull(),
	attempts: integer("attempts").notNull(),
	parkedAt: text("parked_at").notNull(),
});

/**
 * Staff accounts (API.md v1.1 "Staff accounts"): a named person with a role and a bearer token of its
 * own, so that the ledger names who acted and one person's token can be revoked without touching
 * anyone else's. Only the token's SHA-256 is kept (worker/tokens/staff-token.ts says why a plain hash,
 * with no salt, pepper or slow KDF, is right for a 256-bit random token).
 */
export const staff = sqliteTable(
	"staff",
	{
		/** `st_` + random (db/staff.ts createStaff); the ledger's actor is `staff:<id>`. */
		id: text("id").primaryKey(),
		name: text("name").notNull(),
		/** viewer | sales | operator (lib/staff-roles.ts). */
		role: text("role").$type<StaffRole>().notNull(),
		/** Lowercase hex SHA-256 of the token; the token itself is shown once and never stored. */
		tokenHash: text("token_hash").notNull(),
		createdAt: text("created_at").notNull(),
		/** Null while the token works; set once, by the first revocation, and never cleared. */
		revokedAt: text("revoked_at"),
		/** The actor who created the account (`admin` or `staff:<id>`). */
		createdBy: text("created_by").notNull(),
		/** The actor who revoked it: who did what stays answerable even before the ledger has it. */
		revokedBy: text("revoked_by"),
	},
	(t) => [uniqueIndex("staff_token_hash").on(t.tokenHash)],
);
