// Which subscribers of a feed input (FeedInput) may lack its latest batch, and when to send it to them
// again (docs/LIVE.md "Scale", "A subscriber that missed the last batch"). A subscriber notices a lost
// batch only at the input's next one (feed-copy.ts: a number that skips one); when the feed goes quiet
// right after a batch that did not reach a shard (evicted, restarting, an RPC error) — the last unit
// of the sale released, staff confirming a sale a minute later — there is no next one, and that shard's
// buyers saw the wrong state until a new socket connected to it.
//
// So the input records each failed delivery in its subscribers table (durable: an input evicted before
// its retry keeps it, and its alarm wakes the next incarnation) and sends that subscriber its latest
// batch again, with backoff, until one reaches it. Re-sending the latest batch is enough whatever was
// missed: one the subscriber has changes nothing (its per-input numbers), the next one it lacks is
// applied, and one past a gap makes it re-join the input. A delivery or a join that reaches it clears
// the record.
//
// An input reset while a batch is out (a deploy, a limit) never hears whether it arrived: each batch
// arms the alarm once it has left and is marked settled once every answer is in, and an alarm that finds
// the latest batch unsettled with nothing in flight sends it again to every subscriber.
//
// Cheap and bounded at the opening's scale (250 shards × 10 inputs): a batch that reaches everyone
// costs one row written (settled) and at most one alarm per SETTLE_MS; one alarm per input serves every
// subscriber due within RETRY_GROUP_MS; each subscriber is tried at 250 ms, 500 ms, 1 s, 2 s, 4 s, then
// every 5 s, and after MAX_FAILURES failures in a row (about 50 s) the input gives it up with a log
// line. A subscriber that stays away that long has restarted: it re-joins every input at its first
// connect, and any later batch that reaches it shows it the gap.
import { wakeBy } from "./storage/alarm";
import { one } from "./storage/rows";

/** The columns for retries (FeedInput's schema, version 2): the last batch settled, and per subscriber. */
export const FEED_DELIVERY_DDL = `
	ALTER TABLE meta ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;
	UPDATE meta SET settled = seq;
	ALTER TABLE subscribers ADD COLUMN missed INTEGER;
	ALTER TABLE subscribers ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE subscribers ADD COLUMN retry_at INTEGER;
`;

export const FIRST_RETRY_MS = 250;
export const MAX_RETRY_MS = 5_000;
/** Failed deliveries in a row after which the input stops retrying a subscriber. */
export const MAX_FAILURES = 14;
/** Subscribers due this close together are retried by one alarm. */
const RETRY_GROUP_MS = 50;
/** A batch still unsettled this long after it left was lost with the incarnation that sent it. */
export const SETTLE_MS = 2_000;

/** The wait after the `failures`-th failure in a row: doubling from FIRST_RETRY_MS, capped. */
export function retryDelay(failures: number): number {
	return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1));
}

export class DeliveryRetries {
	/** Subscribers with a missed batch on record: a delivery to any other touches no storage. */
	private readonly behind: Set<number>;
	/** Batches of this incarnation on their way to the subscribers. */
	private sending = 0;

	constructor(private readonly storage: DurableObjectStorage) {
		const rows = storage.sql.exec<{ idx: number }>("SELECT idx FROM subscribers WHERE missed IS NOT NULL");
		this.behind = new Set(rows.toArray().map((r) => r.idx));
	}

	private get sql(): SqlStorage {
		return this.storage.sql;
	}

	/** Subscriber `idx` has everything up to batch `seq` (a delivery, or a join's snapshot). */
	reached(idx: number, seq: number): void {
		if (!this.behind.has(idx)) return;
		const cleared = this.sql.exec(
			"UPDATE subscribers SET missed = NULL, failures = 0, retry_at = NULL WHERE idx = ? AND missed <= ?",
			idx,
			seq,
		).rowsWritten;
		// A newer batch that failed meanwhile keeps its record.
		if (cleared > 0) this.behind.delete(idx);
	}

	/** Batch `seq` did not reach subscriber `idx`: its retry is stored and the alarm armed for it. */
	async failed(idx: number, seq: number, error: unknown): Promise<void> {
		const row = one<{ failures: number }>(
			this.sql,
			`UPDATE subscribers SET missed = max(coalesce(missed, 0), ?2), failures = failures + 1
			 WHERE idx = ?1 RETURNING failures`,
			idx,
			seq,
		);
		if (!row) return;
		this.behind.add(idx);
		const failures = row.failures;
		if (failures > MAX_FAILURES) return;
		if (failures === MAX_FAILURES) {
			this.sql.exec("UPDATE subscribers SET retry_at = NULL WHERE idx = ?", idx);
			console.warn("live feed subscriber given up", { idx, seq, failures, error: String(error) });
			return;
		}
		const retryAt = Date.now() + retryDelay(failures);
		this.sql.exec("UPDATE subscribers SET retry_at = ? WHERE idx = ?", retryAt, idx);
		console.warn("live feed subscriber not reached", { idx, seq, failures, retryAt, error: String(error) });
		await wakeBy(this.storage, retryAt);
	}

	/**
	 * Sends batch `seq` through `send` (which reports each answer here), armed against a reset meanwhile.
	 * The alarm is armed once the deliveries are on their way: a write before them would hold them back
	 * until it is stored (the output gate), and the first batch after a quiet spell must not wait.
	 */
	async settle(seq: number, send: () => Promise<void>): Promise<void> {
		this.sending++;
		const arm = async () => {
			await new Promise((r) => setTimeout(r, 0));
			await wakeBy(this.storage, Date.now() + SETTLE_MS);
		};
		try {
			await Promise.all([send(), arm()]);
			this.settled(seq);
		} finally {
			this.sending--;
		}
	}

	/** Every subscriber answered batch `seq` (or has a retry on record for it). */
	settled(seq: number): void {
		this.sql.exec("UPDATE meta SET settled = max(settled, ?) WHERE id = 1", seq);
	}

	/**
	 * The subscribers to send the latest batch again now: every one when that batch was lost with the
	 * incarnation that sent it, else those whose retry is due (or within the grouping slack). A record
	 * stays until the retry's outcome replaces it: an input evicted mid-retry tries again from its alarm.
	 */
	due(now: number): { subscribers: number[]; lost: boolean } {
		const lost = this.sending === 0 && this.unsettled();
		const query = lost
			? "SELECT idx FROM subscribers ORDER BY idx"
			: "SELECT idx FROM subscribers WHERE retry_at <= ? ORDER BY idx";
		const rows = this.sql.exec<{ idx: number }>(query, ...(lost ? [] : [now + RETRY_GROUP_MS]));
		return { subscribers: rows.toArray().map((r) => r.idx), lost };
	}

	/** Arms the alarm for the earliest retry still waiting (from alarm(), where the firing one is spent). */
	async rearm(): Promise<void> {
		const next = this.sql.exec<{ at: number | null }>("SELECT min(retry_at) AS at FROM subscribers").one().at;
		if (next !== null) await wakeBy(this.storage, next);
		// A batch of this incarnation still out: looked at again, in case this incarnation ends first.
		if (this.unsettled()) await wakeBy(this.storage, Date.now() + SETTLE_MS);
	}

	private unsettled(): boolean {
		return (one<{ n: number }>(this.sql, "SELECT seq - settled AS n FROM meta WHERE id = 1")?.n ?? 0) > 0;
	}
}
