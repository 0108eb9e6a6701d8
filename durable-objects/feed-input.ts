// FeedInput: one of an event's K inputs of the live feed (docs/LIVE.md "Scale", docs/SCALE.md fix 3).
// With one input per event, every grant's hold change landed on one object (the DashboardHub), which at
// 1M buyers and 5,000 units sold in the first seconds is ~6× what one object's thread can do. Listings
// are split over K inputs by listing id (lib/feed-partition.ts): the listing objects' fast path and the
// orders consumer push each change to its listing's input (feed-push.ts), and each input coalesces its
// changes into numbered batches and forwards them to every subscriber — the event's HubShards (buyer
// sockets) and its DashboardHub (staff sockets), which gather the K inputs' batches (feed-copy.ts).
//
// State lives in the input's SQLite: each hold's latest (status, version), each listing's stock and
// state, and which states are not yet sent (`unsent`), so an eviction between a change and its batch
// loses nothing: the next incarnation sends it at its first request (every request ends by arming the
// next batch when something is unsent: a push's recompute, or the D1 re-read a new incarnation does
// at its first join or prepare). Updates arrive at least once and
// in any order; a higher version wins, so duplicates and reordering change nothing. D1 is re-read (only
// this input's listings and their holds) when a subscriber joins and the copy may be stale.
//
// Batch numbers are stored before a batch leaves and carry an epoch chosen when the storage was
// created: an input back from eviction goes on counting, and one that lost its storage starts a new
// epoch, which tells every subscriber to take its state whole instead of comparing numbers.
//
// A batch that did not reach a subscriber is sent again (its latest batch, with backoff, from the
// alarm: feed-delivery.ts), so a subscriber that missed the last batch before a quiet spell catches up.
import { DurableObject } from "cloudflare:workers";
import type { ListingState, ListingStatus, PublicStats } from "../client/live-frames";
import { liveViewOf } from "../db/live-view";
import { inputOfListing } from "../lib/feed-partition";
import type { HoldChange } from "../lib/hold-record";
import { dashboardHubOf, hubShardOf } from "./addresses";
import { type FeedBatch, type FeedSnapshot, HUB_SUBSCRIBER } from "./feed-copy";
import { DeliveryRetries, FEED_DELIVERY_DDL } from "./feed-delivery";
import { INPUT_FLUSH_MS, liveConfig, nextFlushDelay } from "./live-config";
import { one } from "./storage/rows";
import { type Migration, migrate } from "./storage/schema";

/** A join re-reads D1 when the input's copy is older than this. */
const SYNC_MAX_AGE_MS = 5_000;

export const FEED_INPUT_SCHEMA: readonly Migration[] = [
	{
		version: 1,
		up: `
			CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 1), event_id TEXT NOT NULL, input INTEGER NOT NULL,
				epoch TEXT NOT NULL, seq INTEGER NOT NULL DEFAULT 0);
			CREATE TABLE listings (id TEXT PRIMARY KEY, stock INTEGER NOT NULL, available INTEGER NOT NULL,
				status TEXT NOT NULL, unsent INTEGER NOT NULL DEFAULT 0);
			CREATE TABLE holds (
				hold_id TEXT PRIMARY KEY, listing_id TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL);
			CREATE INDEX holds_by_listing ON holds (listing_id, status);
			CREATE INDEX listings_unsent ON listings (unsent) WHERE unsent = 1;
			CREATE TABLE subscribers (idx INTEGER PRIMARY KEY);
		`,
	},
	{
		// Retries of failed deliveries (feed-delivery.ts): each listing remembers the batch that last sent
		// it, so the latest batch can be sent again, and each subscriber what it missed and when to retry.
		version: 2,
		up: `ALTER TABLE listings ADD COLUMN batch INTEGER NOT NULL DEFAULT 0; ${FEED_DELIVERY_DDL}`,
	},
];

interface TallyRow extends Record<string, SqlStorageValue> {
	id: string;
	stock: number;
	active: number;
	confirmed: number;
}

interface MetaRow extends Record<string, SqlStorageValue> {
	event_id: string;
	input: number;
	epoch: string;
	seq: number;
}

/** API.md's rule: stock left → available; none left but not all sold → held; all sold → sold. */
export function listingStatus(stock: number, active: number, confirmed: number): ListingState["status"] {
	if (active < stock) return "available";
	return confirmed >= stock ? "sold" : "held";
}

export class FeedInput extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private meta: { eventId: string; input: number; epoch: string } | null = null;
	/** Per incarnation on purpose: an input back from eviction re-reads D1 at its next join. */
	private syncedAt = 0;
	private syncing: Promise<void> | null = null;
	private flushTimer: ReturnType<typeof setTimeout> | null = null;
	private lastFlushAt = 0;
	private readonly retries: DeliveryRetries;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		migrate(ctx.storage, FEED_INPUT_SCHEMA);
		this.retries = new DeliveryRetries(ctx.storage);
		const row = one<MetaRow>(this.sql, "SELECT event_id, input, epoch, seq FROM meta WHERE id = 1");
		if (row) this.meta = { eventId: row.event_id, input: row.input, epoch: row.epoch };
	}

	// --- RPC ---------------------------------------------------------------------------------------

	/** Hold changes of this input's listings, from the fast path or the orders consumer; idempotent. */
	async applyHolds(eventId: string, input: number, changes: HoldChange[]): Promise<void> {
		this.bind(eventId, input);
		if (this.listingCount() === 0) await this.sync();
		const touched = new Set<string>();
		for (const h of changes) {
			if (this.applyHold(h.holdId, h.listingId, h.status, h.version)) touched.add(h.listingId);
		}
		this.recompute([...touched]);
	}

	/**
	 * A subscriber's first request of its incarnation, or after it noticed a batch it missed: it is
	 * registered (every later batch goes to it too) and gets this input's state, re-read from D1 first
	 * when the copy here is stale.
	 */
	async join(eventId: string, input: number, subscriber: number): Promise<FeedSnapshot> {
		this.bind(eventId, input);
		this.sql.exec("INSERT INTO subscribers (idx) VALUES (?) ON CONFLICT (idx) DO NOTHING", subscriber);
		if (this.syncedAt < Date.now() - SYNC_MAX_AGE_MS) await this.sync();
		const meta = this.bound();
		const seq = this.seq();
		// The snapshot holds every batch up to `seq`: nothing older needs sending to it again.
		this.retries.reached(subscriber, seq);
		return { input, epoch: meta.epoch, seq, listings: this.listingStates("available >= 0"), stats: this.publicStats() };
	}

	/** Created ahead of the opening (worker/opening/prepare.ts): bound, and its partition read from D1. */
	async prepare(eventId: string, input: number): Promise<number> {
		this.bind(eventId, input);
		await this.sync();
		return this.listingCount();
	}

	/**
	 * The latest batch again: to every subscriber it did not reach and whose retry is due, or to all when
	 * the incarnation that sent it ended before every answer was in (feed-delivery.ts).
	 */
	override async alarm(): Promise<void> {
		if (!this.meta) return;
		const { eventId } = this.meta;
		const { subscribers, lost } = this.retries.due(Date.now());
		const batch = subscribers.length > 0 ? this.latestBatch() : null;
		if (batch) {
			const send = () => this.forward(eventId, batch, subscribers);
			await (lost ? this.retries.settle(batch.seq, send) : send());
		} else {
			// Nothing to send again (no subscriber, or a batch from before the listings kept their number).
			const seq = this.seq();
			for (const idx of subscribers) this.retries.reached(idx, seq);
			if (lost) this.retries.settled(seq);
		}
		await this.retries.rearm();
	}

	// --- internals ---------------------------------------------------------------------------------

	private bind(eventId: string, input: number): void {
		if (this.meta) {
			if (this.meta.eventId !== eventId || this.meta.input !== input) {
				throw new Error(`feed input ${this.meta.eventId}/${this.meta.input} called as ${eventId}/${input}`);
			}
			return;
		}
		const epoch = crypto.randomUUID();
		this.sql.exec("INSERT INTO meta (id, event_id, input, epoch) VALUES (1, ?, ?, ?)", eventId, input, epoch);
		this.meta = { eventId, input, epoch };
	}

	private bound(): { eventId: string; input: number; epoch: string } {
		if (!this.meta) throw new Error("feed input used before it was bound");
		return this.meta;
	}

	/** Single-flight re-read of this input's listings and their orders from D1, merged by version. */
	private sync(): Promise<void> {
		this.syncing ??= this.loadFromD1().finally(() => {
			this.syncing = null;
		});
		return this.syncing;
	}

	private async loadFromD1(): Promise<void> {
		const { eventId, input } = this.bound();
		const inputs = liveConfig(this.env).feedInputs;
		const startedAt = Date.now();
		const view = await liveViewOf(this.env, eventId);
		const mine = (listingId: string) => inputOfListing(listingId, inputs) === input;
		this.ctx.storage.transactionSync(() => {
			for (const l of view.listings) {
				if (!mine(l.id)) continue;
				this.sql.exec(
					`INSERT INTO listings (id, stock, available, status) VALUES (?, ?, -1, '')
					 ON CONFLICT (id) DO UPDATE SET stock = excluded.stock`,
					l.id,
					l.stock,
				);
			}
			for (const h of view.holds) if (mine(h.listingId)) this.applyHold(h.holdId, h.listingId, h.status, h.version);
		});
		this.recompute(null);
		this.syncedAt = startedAt;
	}

	/** D1's rule for orders: a hold only moves to a higher version. True when the row changed. */
	private applyHold(holdId: string, listingId: string, status: string, version: number): boolean {
		const written = this.sql.exec(
			`INSERT INTO holds (hold_id, listing_id, status, version) VALUES (?, ?, ?, ?)
			 ON CONFLICT (hold_id) DO UPDATE SET status = excluded.status, version = excluded.version
			 WHERE excluded.version > holds.version`,
			holdId,
			listingId,
			status,
			version,
		).rowsWritten;
		return written > 0;
	}

	/** Recomputes listings (null: all) from their holds; a state that changed is marked unsent. */
	private recompute(ids: string[] | null): void {
		const tally = `SELECT l.id, l.stock,
				coalesce(sum(h.status IN ('held', 'confirmed')), 0) AS active,
				coalesce(sum(h.status = 'confirmed'), 0) AS confirmed
			FROM listings l LEFT JOIN holds h ON h.listing_id = l.id`;
		const rows =
			ids === null
				? this.sql.exec<TallyRow>(`${tally} GROUP BY l.id`).toArray()
				: ids.flatMap((id) => this.sql.exec<TallyRow>(`${tally} WHERE l.id = ? GROUP BY l.id`, id).toArray());
		for (const r of rows) {
			const available = Math.max(0, r.stock - r.active);
			const status = listingStatus(r.stock, r.active, r.confirmed);
			// A listing's first state (read from D1) is no change to anyone: subscribers take it from the
			// join's snapshot, and a batch of every listing at each input's start would be a frame for nothing.
			this.sql.exec(
				`UPDATE listings SET available = ?1, status = ?2, unsent = CASE WHEN available < 0 THEN unsent ELSE 1 END
				 WHERE id = ?3 AND (available != ?1 OR status != ?2)`,
				available,
				status,
				r.id,
			);
		}
		this.schedule();
	}

	/** Arms the next batch when something is unsent: 75 ms after a quiet spell, ≤ 1 per INPUT_FLUSH_MS. */
	private schedule(): void {
		if (this.flushTimer !== null) return;
		const unsent = one<{ id: string }>(this.sql, "SELECT id FROM listings WHERE unsent = 1 LIMIT 1");
		if (!unsent) return;
		const delay = nextFlushDelay(Date.now(), this.lastFlushAt, INPUT_FLUSH_MS);
		this.flushTimer = setTimeout(() => this.flush(), delay);
	}

	/**
	 * Every listing state not yet sent, as one numbered batch to every subscriber. The number is stored
	 * with the states marked sent, before the batch leaves: a lost batch is a gap its subscribers see.
	 */
	private flush(): void {
		this.flushTimer = null;
		const { eventId, input, epoch } = this.bound();
		let changes: ListingState[] = [];
		let seq = 0;
		this.ctx.storage.transactionSync(() => {
			changes = this.listingStates("unsent = 1");
			if (changes.length === 0) return;
			seq = this.seq() + 1;
			this.sql.exec("UPDATE listings SET unsent = 0, batch = ? WHERE unsent = 1", seq);
			this.sql.exec("UPDATE meta SET seq = ? WHERE id = 1", seq);
		});
		if (changes.length === 0) return;
		this.lastFlushAt = Date.now();
		const batch: FeedBatch = { input, epoch, seq, changes, stats: this.publicStats() };
		const subscribers = this.sql
			.exec<{ idx: number }>("SELECT idx FROM subscribers ORDER BY idx")
			.toArray()
			.map((r) => r.idx);
		// Not awaited by anyone: one that is slow never holds back the others. A subscriber not reached is
		// sent the latest batch again later (feed-delivery.ts); one that misses a batch and hears the next
		// sees the gap and joins again.
		this.ctx.waitUntil(this.retries.settle(seq, () => this.forward(eventId, batch, subscribers)));
	}

	private async forward(eventId: string, batch: FeedBatch, subscribers: number[]): Promise<void> {
		await Promise.all(
			subscribers.map(async (idx) => {
				try {
					await (idx === HUB_SUBSCRIBER
						? dashboardHubOf(this.env, eventId).deliver(eventId, idx, batch)
						: hubShardOf(this.env, eventId, idx).deliver(eventId, idx, batch));
					this.retries.reached(idx, batch.seq);
				} catch (err) {
					await this.retries.failed(idx, batch.seq, err);
				}
			}),
		);
	}

	/**
	 * The last batch sent, rebuilt for a retry: the listings it set, in their state now (a newer state
	 * not yet sent goes out under this number too and again in the next batch, which changes nothing).
	 */
	private latestBatch(): FeedBatch | null {
		const { input, epoch } = this.bound();
		const seq = this.seq();
		const changes = this.listingStates("batch = ?", seq);
		// Only a batch sent before the listings kept their batch number (version 1) has none to rebuild.
		if (seq === 0 || changes.length === 0) return null;
		return { input, epoch, seq, changes, stats: this.publicStats() };
	}

	private seq(): number {
		return one<{ seq: number }>(this.sql, "SELECT seq FROM meta WHERE id = 1")?.seq ?? 0;
	}

	/** The listings that match `where` (all that have a state: "available >= 0"), by id. */
	private listingStates(where: string, ...binds: SqlStorageValue[]): ListingState[] {
		return this.sql
			.exec<{ id: string; available: number; status: string }>(
				`SELECT id, available, status FROM listings WHERE ${where} ORDER BY id`,
				...binds,
			)
			.toArray()
			.map((r) => ({ id: r.id, available: r.available, status: r.status as ListingStatus }));
	}

	/** This input's counters: units of its listings sold, held and available. */
	private publicStats(): PublicStats {
		const units = this.sql
			.exec<{ sold: number | null; held: number | null }>(
				`SELECT sum(status = 'confirmed') AS sold, sum(status = 'held') AS held FROM holds
				 WHERE listing_id IN (SELECT id FROM listings)`,
			)
			.one();
		const available = this.sql.exec<{ n: number | null }>("SELECT sum(max(available, 0)) AS n FROM listings").one().n;
		return { sold: units.sold ?? 0, held: units.held ?? 0, available: available ?? 0 };
	}

	private listingCount(): number {
		return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM listings").one().n;
	}
}
