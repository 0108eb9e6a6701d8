// EventLedger: one object per event, the single writer of its hash chain (API.md "Event ledger",
// docs/LEDGER.md). Every change of the event reaches it here: the listings' objects send their holds'
// changes through their outboxes, the operator routes append before they answer.
//
// Why one writer is enough to keep the chain: `append` reads the head, hashes each entry and inserts it
// in one synchronous SQLite transaction, with nothing awaited in between (the hash is node:crypto's,
// synchronous; lib/ledger-chain.ts). The object's input gate lets no other call in while that runs,
// so two appends can never read the same head, however many RPCs arrive at once; and the output gate
// holds every answer until the transaction is durable, so nobody is told "appended" for an entry that
// a crash could lose.
//
// Entries are never updated or deleted: no method here does either. Deliveries are at least once, so
// every input carries an idempotency key; a key already recorded appends nothing (the `applied` table,
// written in the same transaction as the entry).
import { DurableObject } from "cloudflare:workers";
import {
	chainEntry,
	GENESIS_HASH,
	invalidInput,
	type LedgerEntry,
	type LedgerHead,
	type LedgerInput,
	ledgerTime,
} from "../lib/ledger-chain";
import { all, one } from "./storage/rows";
import { type Migration, migrate } from "./storage/schema";

export type { LedgerEntry, LedgerHead, LedgerInput };

/** What an append did: how many inputs became entries, how many were already there, the head after. */
export interface AppendOutcome {
	appended: number;
	duplicates: number;
	head: LedgerHead;
}

/**
 * One listing object's `ledger` rows as the ledger queue carries them (docs/SCALE.md fix 7): a prefix
 * of the rows it has not yet heard the ledger has, oldest first, up to its outbox seq `upToSeq`.
 */
export interface LedgerMessage {
	eventId: string;
	listingId: string;
	upToSeq: number;
	inputs: LedgerInput[];
}

/**
 * One page of entries in seq order, each as its JSON text (the line the export writes): the stored
 * `data` is spliced in as stored, never parsed and written again. `lastSeq` is the last seq served
 * when more entries follow, else null.
 */
export interface LedgerPage {
	lines: string[];
	lastSeq: number | null;
}

interface EntryRow extends Record<string, SqlStorageValue> {
	seq: number;
	at: string;
	kind: string;
	actor: string;
	data: string;
	prev: string;
	hash: string;
}

export const EVENT_LEDGER_SCHEMA: readonly Migration[] = [
	{
		version: 1,
		up: `
			CREATE TABLE entries (
				seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL,
				data TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);
			CREATE TABLE applied (key TEXT PRIMARY KEY, seq INTEGER NOT NULL);
		`,
	},
];

/** The most entries one page (or one RPC of the export) carries: API.md's limit. */
export const MAX_PAGE = 1_000;

export class EventLedger extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	/**
	 * Test hook (unset in production): the next append throws after writing this many entries, inside
	 * its transaction — a failure in the middle of a batch, which must leave none of it behind.
	 */
	failNextAppendAfter: number | null = null;
	/** Test hook: append calls this instance answered or refused (one per RPC, however many inputs). */
	appendCalls = 0;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		migrate(ctx.storage, EVENT_LEDGER_SCHEMA);
	}

	/**
	 * Appends `inputs` in order, each once per key, in one transaction: all of them or (on a throw)
	 * none. A bad input is refused before anything is written.
	 */
	async append(inputs: readonly LedgerInput[]): Promise<AppendOutcome> {
		this.appendCalls += 1;
		for (const [i, input] of inputs.entries()) {
			const bad = invalidInput(input);
			if (bad) throw new Error(`ledger input ${i} (${String(input.kind)}): bad ${bad}`);
		}
		const now = Date.now();
		return this.ctx.storage.transactionSync((): AppendOutcome => {
			let head = this.readHead();
			let appended = 0;
			let duplicates = 0;
			const failAfter = this.failNextAppendAfter;
			this.failNextAppendAfter = null;
			for (const input of inputs) {
				if (failAfter !== null && appended === failAfter) throw new Error("injected failure mid-batch");
				if (one(this.sql, "SELECT seq FROM applied WHERE key = ?", input.key)) {
					duplicates += 1;
					continue;
				}
				const entry = chainEntry(head, ledgerTime(now, head.at), input);
				this.sql.exec(
					"INSERT INTO entries (seq, at, kind, actor, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
					entry.seq,
					entry.at,
					entry.kind,
					entry.actor,
					JSON.stringify(entry.data),
					entry.prev,
					entry.hash,
				);
				this.sql.exec("INSERT INTO applied (key, seq) VALUES (?, ?)", input.key, entry.seq);
				head = { seq: entry.seq, hash: entry.hash, at: entry.at };
				appended += 1;
			}
			return { appended, duplicates, head };
		});
	}

	/** The last entry's seq, hash and time; seq 0, 64 zeros and null while there is none. */
	async head(): Promise<LedgerHead> {
		return this.readHead();
	}

	/** Up to `limit` entries after `afterSeq` (0: from the first), in seq order. */
	async page(afterSeq: number, limit: number): Promise<LedgerPage> {
		const n = Math.max(1, Math.min(MAX_PAGE, Math.floor(limit)));
		const rows = all<EntryRow>(this.sql, "SELECT * FROM entries WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, n + 1);
		const served = rows.slice(0, n);
		return { lines: served.map(entryJson), lastSeq: rows.length > n ? (served.at(-1)?.seq ?? null) : null };
	}

	private readHead(): LedgerHead {
		const last = one<{ seq: number; hash: string; at: string }>(
			this.sql,
			"SELECT seq, hash, at FROM entries ORDER BY seq DESC LIMIT 1",
		);
		return last ?? { seq: 0, hash: GENESIS_HASH, at: null };
	}
}

/** An entry's JSON, its fields in API.md's order; `data` is stored as JSON text already. */
function entryJson(row: EntryRow): string {
	const text = (v: string) => JSON.stringify(v);
	return `{"seq":${row.seq},"at":${text(row.at)},"kind":${text(row.kind)},"actor":${text(row.actor)},"data":${row.data},"prev":${text(row.prev)},"hash":${text(row.hash)}}`;
}
