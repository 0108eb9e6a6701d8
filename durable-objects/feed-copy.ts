// A subscriber's copy of the live feed (docs/LIVE.md "Scale"): what a HubShard and the DashboardHub both
// keep of the event's K inputs (FeedInput), in the object's own SQLite, to answer a connect's snapshot
// without asking anyone and to send batches on to their sockets. One module, so that the shards (buyer
// sockets) and the hub (staff sockets) read the feed the same way.
//
// Per input the copy keeps the input's epoch, the number of the last batch it applied and the input's
// public counters; the snapshot's counters are the sum over the inputs. Each listing row remembers the
// number of what last set it; a listing only ever hears from its own input, so those numbers compare.
// A batch whose number skips one (a batch lost on its way) or whose epoch is not the copy's (the input
// lost its storage and counts from 1 again) makes the copy re-join that input only.
//
// Sockets get at most one frame per flush interval whatever the number of inputs: the batches of all K
// inputs are gathered here and sent together (API.md v2: ≤ 1 `listings` frame per socket per 750 ms).
import type { ListingState, ListingStatus, PublicStats } from "../client/live-frames";
import { nextFlushDelay, RELAY_GATHER_MS } from "./live-config";
import { one } from "./storage/rows";

/** The subscriber number of the event's DashboardHub at the inputs (shards are 0, 1, …). */
export const HUB_SUBSCRIBER = -1;

/** A coalesced batch of one input's listing changes, numbered by that input (1, 2, …) within its epoch. */
export interface FeedBatch {
	input: number;
	/** Chosen when the input's storage was created: numbers of two epochs say nothing about each other. */
	epoch: string;
	seq: number;
	changes: ListingState[];
	/** The input's own counters: its listings' units sold, held and available. */
	stats: PublicStats;
}

/** An input's state as a subscriber joins it: every listing of its partition, as of batch `seq` or later. */
export interface FeedSnapshot {
	input: number;
	epoch: string;
	seq: number;
	listings: ListingState[];
	stats: PublicStats;
}

/** The copy's tables, run by each owner's versioned migration (storage/schema.ts). */
export const FEED_COPY_DDL = `
	CREATE TABLE feed_inputs (input INTEGER PRIMARY KEY, epoch TEXT NOT NULL, seq INTEGER NOT NULL, stats TEXT NOT NULL);
	CREATE TABLE feed_listings (
		id TEXT PRIMARY KEY, input INTEGER NOT NULL, available INTEGER NOT NULL, status TEXT NOT NULL, seq INTEGER NOT NULL);
`;

export interface FeedCopyOptions {
	/** How many inputs the event's feed has (liveConfig's feedInputs). */
	inputs: number;
	/** The least time between two frames to one socket (liveConfig's flushMs). */
	flushMs: number;
	/** Joins input `k`: it registers this subscriber and answers its state. */
	join(input: number): Promise<FeedSnapshot>;
	/** Hands a coalesced set of changes to the owner's sockets. */
	send(changes: ListingState[]): void;
	/** Keeps the object alive for background work (ctx.waitUntil). */
	waitUntil(work: Promise<unknown>): void;
}

interface InputRow extends Record<string, SqlStorageValue> {
	epoch: string;
	seq: number;
	stats: string;
}

const ZERO: PublicStats = { sold: 0, held: 0, available: 0 };
/** A failed re-join is tried again after this, doubling, at most REJOIN_ATTEMPTS times in all (~15 s). */
export const REJOIN_RETRY_MS = 500;
const REJOIN_ATTEMPTS = 5;

export class FeedCopy {
	private readonly joining = new Map<number, Promise<void>>();
	/** Per incarnation on purpose: an object back from eviction joins again before its next snapshot. */
	private syncedAt = 0;
	private readonly pending = new Map<string, ListingState>();
	private timer: ReturnType<typeof setTimeout> | null = null;
	private lastSentAt = 0;

	constructor(
		private readonly storage: DurableObjectStorage,
		private readonly options: FeedCopyOptions,
	) {}

	private get sql(): SqlStorage {
		return this.storage.sql;
	}

	/** One input's batch: applied, queued for the sockets, and a re-join of that input if one was missed. */
	deliver(batch: FeedBatch): void {
		const row = this.inputRow(batch.input);
		// Never joined (storage lost), or the input restarted its numbering: only a join can tell.
		if (!row || row.epoch !== batch.epoch) {
			this.rejoin(batch.input);
			return;
		}
		// A number that skips one: a batch was lost on its way here. Ask that input for its whole state
		// (its differences go out to the sockets too); the other inputs' numbers are not concerned. Until
		// a join succeeds the input's number stays where the copy is whole, so that the next batch shows
		// the gap again: taking the gapped number would forget it if the join failed.
		const gap = batch.seq > row.seq + 1;
		const inputSeq = gap ? row.seq : batch.seq;
		this.queue(this.apply(batch.input, batch.epoch, batch.seq, batch.changes, batch.stats, false, false, inputSeq));
		if (gap) this.rejoin(batch.input);
	}

	/** Joins every input (in parallel) when the copy is older than `maxAgeMs`; 0 joins now. */
	async sync(maxAgeMs: number): Promise<void> {
		if (maxAgeMs > 0 && this.syncedAt >= Date.now() - maxAgeMs) return;
		const startedAt = Date.now();
		const inputs = Array.from({ length: this.options.inputs }, (_, k) => k);
		const results = await Promise.allSettled(inputs.map((k) => this.joinInput(k)));
		const failed = results.filter((r) => r.status === "rejected");
		// A copy missing an input's part is not fresh: the next connect tries again.
		if (failed.length === 0) this.syncedAt = startedAt;
		else console.warn("live feed inputs not joined", { failed: failed.length, error: String(failed[0]?.reason) });
	}

	/** Every listing of the copy, by id (a snapshot's `listings`). */
	listings(): ListingState[] {
		return this.sql
			.exec<{ id: string; available: number; status: string }>(
				"SELECT id, available, status FROM feed_listings ORDER BY id",
			)
			.toArray()
			.map((r) => ({ id: r.id, available: r.available, status: r.status as ListingStatus }));
	}

	/** The public counters: the sum of every input's own. */
	stats(): PublicStats {
		const sum = { ...ZERO };
		for (const r of this.sql.exec<{ stats: string }>("SELECT stats FROM feed_inputs").toArray()) {
			const s = JSON.parse(r.stats) as PublicStats;
			sum.sold += s.sold;
			sum.held += s.held;
			sum.available += s.available;
		}
		return sum;
	}

	/** Each input's epoch and last batch number (tests, measurements). */
	inputs(): Record<number, { epoch: string; seq: number }> {
		const rows = this.sql.exec<{ input: number; epoch: string; seq: number }>(
			"SELECT input, epoch, seq FROM feed_inputs ORDER BY input",
		);
		return Object.fromEntries(rows.toArray().map((r) => [r.input, { epoch: r.epoch, seq: r.seq }]));
	}

	// --- internals ---------------------------------------------------------------------------------

	/**
	 * Joins `input` again, and again after a failure (REJOIN_RETRY_MS, doubling): on a quiet feed no
	 * further batch would show the gap, and the copy would stay wrong until a page connects.
	 */
	private rejoin(input: number, attempt = 0): void {
		this.options.waitUntil(
			this.joinInput(input).catch((err: unknown) => {
				console.warn("live feed input not re-joined", { input, attempt, error: String(err) });
				if (attempt + 1 >= REJOIN_ATTEMPTS) return;
				setTimeout(() => this.rejoin(input, attempt + 1), REJOIN_RETRY_MS * 2 ** attempt);
			}),
		);
	}

	/** Single-flight per input: join it and take whatever in its state is newer than the copy. */
	private joinInput(input: number): Promise<void> {
		let join = this.joining.get(input);
		if (!join) {
			join = this.options
				.join(input)
				.then((snapshot) => {
					const row = this.inputRow(input);
					const restarted = row !== null && row.epoch !== snapshot.epoch;
					const changed = this.apply(
						input,
						snapshot.epoch,
						snapshot.seq,
						snapshot.listings,
						snapshot.stats,
						true,
						restarted,
					);
					// What a join corrects goes out at once, to the sockets there are now (a connect's join
					// comes before its socket is accepted: that socket gets it in its snapshot instead), or
					// with the frame already waiting.
					if (this.timer !== null) this.queue(changed);
					else this.options.send(changed);
				})
				.finally(() => this.joining.delete(input));
			this.joining.set(input, join);
		}
		return join;
	}

	/**
	 * Applies listing states numbered `seq` from `input`: a batch replaces rows set by older batches, a
	 * snapshot rows set by batches up to its own number, and a snapshot of a new epoch every row (the old
	 * numbers mean nothing now). Returns what goes to the sockets: a batch whole — the input sent only
	 * what changed since its last batch, and a change that ends where this copy stands (held and released
	 * within one flush) still happened, so a buyer who heard "held" from its claim's answer hears the
	 * end — and of a snapshot only what differs from the copy. The input's own number becomes
	 * `inputSeq` (a batch after a gap leaves it where the copy is whole).
	 */
	private apply(
		input: number,
		epoch: string,
		seq: number,
		listings: ListingState[],
		stats: PublicStats,
		snapshot: boolean,
		restarted = false,
		inputSeq = seq,
	): ListingState[] {
		const changed: ListingState[] = [];
		this.storage.transactionSync(() => {
			for (const l of listings) {
				const row = one<{ available: number; status: string; seq: number }>(
					this.sql,
					"SELECT available, status, seq FROM feed_listings WHERE id = ?",
					l.id,
				);
				if (row && !restarted && (snapshot ? seq < row.seq : seq <= row.seq)) continue;
				this.sql.exec(
					`INSERT INTO feed_listings (id, input, available, status, seq) VALUES (?, ?, ?, ?, ?)
					 ON CONFLICT (id) DO UPDATE SET input = excluded.input, available = excluded.available,
					 status = excluded.status, seq = excluded.seq`,
					l.id,
					input,
					l.available,
					l.status,
					seq,
				);
				if (!snapshot || !row || row.available !== l.available || row.status !== l.status) changed.push(l);
			}
			this.sql.exec(
				`INSERT INTO feed_inputs (input, epoch, seq, stats) VALUES (?, ?, ?, ?)
				 ON CONFLICT (input) DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq, stats = excluded.stats
				 WHERE excluded.epoch != feed_inputs.epoch OR excluded.seq >= feed_inputs.seq`,
				input,
				epoch,
				inputSeq,
				JSON.stringify(stats),
			);
		});
		return changed;
	}

	/** Gathers changes of every input and sends them at most once per flush interval. */
	private queue(changes: ListingState[]): void {
		for (const c of changes) this.pending.set(c.id, c);
		if (this.pending.size === 0 || this.timer !== null) return;
		const delay = nextFlushDelay(Date.now(), this.lastSentAt, this.options.flushMs, RELAY_GATHER_MS);
		this.timer = setTimeout(() => this.flush(), delay);
	}

	private flush(): void {
		this.timer = null;
		const changes = [...this.pending.values()];
		this.pending.clear();
		if (changes.length === 0) return;
		this.lastSentAt = Date.now();
		this.options.send(changes);
	}

	private inputRow(input: number): InputRow | null {
		return one<InputRow>(this.sql, "SELECT epoch, seq, stats FROM feed_inputs WHERE input = ?", input) ?? null;
	}
}
