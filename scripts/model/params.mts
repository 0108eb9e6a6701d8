// The model's parameters: what each operation costs the thread that runs it, and the platform's
// shape. Two sets:
//   - "local": this machine under Miniflare, one workerd thread for the worker and every object;
//     the costs come from the benchmark (docs/BENCHMARKS.md, copied into bench-numbers.json with
//     the commit they measured) — measured where a phase measured them, derived from the measured
//     per-step breakdown where none did (each derivation is written next to its number);
//   - "cloudflare": many isolates, one thread per object, the limits and prices Cloudflare
//     publishes (each with its address).
import { readFileSync } from "node:fs";

export interface BenchPhase {
	name: string;
	requests: number;
	seconds: number;
	reqPerS: number;
	p50: number;
	p99: number;
	max: number;
	cpuUs: number;
	cores: number;
}

export interface BenchNumbers {
	source: string;
	measuredAt: string;
	commit: string;
	machine: string;
	connections: number;
	phases: {
		ceiling: BenchPhase;
		soldOut: BenchPhase;
		winning: BenchPhase;
		ceilingAgain: BenchPhase;
		crowd: BenchPhase & {
			buyers: number;
			units: number;
			deadlineSeconds: number;
			outcomes: Record<string, number>;
			claims: { requests: number; reqPerS: number; p50: number; p99: number };
			tokens: { requests: number; reqPerS: number; p50: number; p99: number };
			board: { requests: number; reqPerS: number; p50: number; p99: number };
			buyerOutcomes: Record<string, number>;
		};
	};
	breakdown: {
		soldOutRejectionUs: number;
		boardReadUs: number;
		rateLimitBindingUs: number;
		buyerRpcWithNonceWriteUs: number;
		winningClaimUs: number;
		claimOnNewObjectMs: number;
		claimOnExistingObjectMs: number;
	};
}

export function loadBenchNumbers(): BenchNumbers {
	const url = new URL("./bench-numbers.json", import.meta.url);
	return JSON.parse(readFileSync(url, "utf8")) as BenchNumbers;
}

/** What one operation costs the thread that runs it, in milliseconds. */
export interface Costs {
	/** Edge: GET /api/health (the runtime's ceiling; local only). */
	edgeHealth?: number;
	/** Edge: a claim refused from the isolate's sold-out flag (the whole request). */
	edgeRefuse: number;
	/** Edge: the extra work of a claim that goes on to the objects (address limit, nonce, the answer). */
	edgeForward: number;
	/** Edge: the purchase-token route, without the buyer object's part. */
	edgeToken: number;
	/** Edge: the listing board from the isolate's availability copy. */
	edgeBoard: number;
	/** Buyer object: is the session current (a read). */
	buyerToken: number;
	/** Buyer object: nonce, checks, the pending row and its alarm (writes). */
	buyerClaim: number;
	/** Buyer object: the pending row settled with the inventory's answer (a write). */
	buyerSettle: number;
	/** Listing object: a claim answered sold_out (reads only). */
	listingReject: number;
	/** Listing object: a claim granted (hold + outbox rows in one transaction, the alarm). */
	listingGrant: number;
	/** Listing object: first use (its SQLite database and schema), once per listing. */
	listingCreate: number;
	/**
	 * Any object: its first request after ≥ 10 s idle, when the runtime has let it hibernate
	 * (constructor, schema check, its SQLite database reopened). Buyer objects are idle from their
	 * login until their first purchase token.
	 */
	coldStart: number;
	/** Listing object: the edge's read-only peek that renews a sold-out flag. */
	listingPeek: number;
	/** Listing object: draining the outbox after a change (queue send, hub push, row update). */
	listingFlush: number;
	/** Listing object: the orders consumer's acknowledgement (an outbox row deleted). */
	listingAck: number;
	/** Orders consumer (an isolate): per message. */
	consumerPerMsg: number;
	/** Notifications for one grant: its queue hop, consumer and D1 rows (lumped). */
	notificationsPerGrant: number;
	/** Hub (a feed input): applying hold changes (one RPC carrying one change). */
	hubApply: number;
	/** Hub (a feed input): each further change in the same RPC (the orders consumer's batch). */
	hubApplyPerChange: number;
	/** Hub: an isolate's claim counts (one RPC, a few rows). */
	hubRecord: number;
	/** Hub: one frame sent to one socket. */
	hubSendPerSocketFrame: number;
	/** Ledger (one object per event): one append RPC (hash + insert). */
	ledgerAppend: number;
	/** D1: the terms freeze of a first claim (a small write batch). */
	d1TermsFreeze: number;
	/** D1: a write batch's fixed cost, and per row. */
	d1WriteBase: number;
	d1WritePerRow: number;
	/** D1: a read query's fixed cost, and per row scanned. */
	d1ReadBase: number;
	d1ReadPerRow: number;
}

export type CostSources = Record<keyof Costs, string>;

export interface Platform {
	name: "local" | "cloudflare";
	/** Isolates serving the event's requests; each keeps its own sold-out flags and caches. */
	isolates: number;
	/** Cloudflare locations (each has its own Cache API copy of the event and catalogue). */
	colos: number;
	/** Buyer ↔ edge round trip, ms (0 locally: the generator sits on the same machine). */
	clientRttMs: number;
	/** Edge ↔ object and object ↔ object round trip, ms. */
	objectRttMs: number;
	/** Local only: the runtime's pauses (GC and the like), measured from the ceiling phases. */
	stall: { ms: number; fraction: number } | null;
	/** Orders consumer: max concurrent invocations, batch size and timeout (wrangler.toml). */
	consumerConcurrency: number;
	queueBatchSize: number;
	queueBatchTimeoutMs: number;
	notificationsBatchSize: number;
	notificationsBatchTimeoutMs: number;
	/** How often an isolate reports its claim counts to the hub (worker/claim/claim-counter.ts). */
	claimReportMs: number;
	/** A Durable Object's soft limit (requests per second), for the report. */
	objectSoftLimit: number;
	/** Messages per second one queue accepts, for the report. */
	queueLimitPerS: number;
	/** WebSockets one hub can hold, for the report ("thousands of clients per instance"). */
	hubSocketsLimit: number;
}

/** The stall process of a closed-loop phase: p50 ≈ (1 − f) × mean, p99 − p50 ≈ one stall. */
export function stallOf(phase: BenchPhase, connections: number): { ms: number; fraction: number } {
	const meanMs = (connections / phase.reqPerS) * 1000;
	return { fraction: Math.max(0, 1 - phase.p50 / meanMs), ms: phase.p99 - phase.p50 };
}

/**
 * Local costs, at the machine's state just before the crowd phase. Method:
 *   - the runtime pauses (GC and the like) a fraction f of the time in stalls of about p99 − p50;
 *     with 50 requests always in flight, p50 ≈ (1 − f) × mean latency. Phase 1' (the ceiling run
 *     right before the crowd) gives the crowd's stall process; phase 2 its own, to take stalls out
 *     of its cost per request;
 *   - work per request = thread time per request × (1 − f), thread time = 1 / throughput;
 *   - the machine drifted between phase 1 and phase 1' (work per health request ×1.06): costs from
 *     phases 2–3 are scaled by that drift;
 *   - a claim refused at the edge is phase 2 itself; a grant is phase 3 (its CPU without stalls,
 *     plus the time workerd sat idle waiting for its SQLite writes: wall − CPU per grant);
 *   - steps no phase measured alone are the morning breakdown's ratios to that morning's sold-out
 *     rejection (523 µs), times this run's rejection; each durable write adds the I/O wait per write
 *     seen in phase 3 ((wall − CPU) / ~14 write transactions per grant).
 */
export function localCosts(
	bench: BenchNumbers,
	/** "crowd": the machine as phase 1' found it, right before the crowd; "early": as in phases 1–2. */
	state: "crowd" | "early" = "crowd",
): { costs: Costs; sources: CostSources; platform: Platform } {
	const { ceiling, soldOut, winning, ceilingAgain } = bench.phases;
	const b = bench.breakdown;
	const n = bench.connections;
	const f1 = stallOf(ceiling, n).fraction;
	const f1b = stallOf(ceilingAgain, n).fraction;
	const f2 = stallOf(soldOut, n).fraction;
	const workHealth = (1000 / ceiling.reqPerS) * (1 - f1);
	const workHealthLater = (1000 / ceilingAgain.reqPerS) * (1 - f1b);
	const drift = state === "crowd" ? workHealthLater / workHealth : 1;
	const refuse = (1000 / soldOut.reqPerS) * (1 - f2) * drift;
	/** Milliseconds here per microsecond of the morning breakdown. */
	const k = refuse / b.soldOutRejectionUs;
	const grantWallMs = 1000 / winning.reqPerS;
	const grantCpuMs = winning.cpuUs / 1000;
	const ioIdlePerGrant = Math.max(0, grantWallMs - grantCpuMs);
	const WRITES_PER_GRANT = 14;
	const w = ioIdlePerGrant / WRITES_PER_GRANT;
	const grantTotal = grantCpuMs * (1 - f2) * drift + ioIdlePerGrant;
	const rpc = 200 * k; // a DO RPC without a write (the breakdown's nonce-write RPC, 500 µs, less its write)
	const write = 300 * k; // a small SQLite write transaction's CPU
	const createShare = 1 - b.claimOnExistingObjectMs / b.claimOnNewObjectMs;

	const costs: Costs = {
		edgeHealth: state === "crowd" ? workHealthLater : workHealth,
		edgeRefuse: refuse,
		edgeForward: b.rateLimitBindingUs * k + w,
		edgeToken: (b.soldOutRejectionUs - 50 + b.rateLimitBindingUs) * k + w,
		edgeBoard: b.boardReadUs * k,
		buyerToken: rpc,
		buyerClaim: b.buyerRpcWithNonceWriteUs * k + write + 2 * w,
		buyerSettle: write + w,
		listingReject: rpc,
		listingGrant: rpc + write + 2 * w,
		listingCreate: createShare * b.winningClaimUs * k,
		coldStart: createShare * b.winningClaimUs * k,
		listingPeek: rpc,
		listingFlush: rpc + write + w,
		listingAck: write + w,
		consumerPerMsg: write,
		notificationsPerGrant: 0, // the remainder of the grant's measured cost, set below
		hubApply: write + w,
		hubApplyPerChange: write,
		hubRecord: write + w,
		hubSendPerSocketFrame: 0.07,
		ledgerAppend: 0, // not in the measured commit
		d1TermsFreeze: write + w,
		d1WriteBase: w,
		d1WritePerRow: write,
		d1ReadBase: rpc,
		d1ReadPerRow: 0.001 * k,
	};
	// What a grant costs beyond the steps above is its notifications (queue, consumer, D1, the local
	// SMS record): the grant as a whole is phase 3's measured cost. Phase 3's buyer objects were cold
	// (idle since their login in the setup), so a cold start is one of the steps.
	const accounted =
		costs.coldStart +
		costs.edgeRefuse +
		costs.edgeForward +
		costs.buyerClaim +
		costs.listingCreate +
		costs.d1TermsFreeze +
		costs.listingGrant +
		costs.buyerSettle +
		costs.listingFlush +
		2 * costs.hubApply +
		costs.consumerPerMsg +
		costs.d1WritePerRow +
		costs.listingAck;
	costs.notificationsPerGrant = Math.max(0, grantTotal - accounted);

	const m = (x: number) => `${x.toFixed(0)} µs × k`;
	const sources: CostSources = {
		edgeHealth: `phase 1${state === "crowd" ? "'" : ""}: 1000 / req/s × (1 − its stall fraction)`,
		edgeRefuse: `phase 2: 1000/${soldOut.reqPerS} req/s × (1 − stall ${f2.toFixed(2)}) × drift ${drift.toFixed(3)}`,
		edgeForward: `rate-limit binding ${m(b.rateLimitBindingUs)} + 1 write's I/O (a SQLite write under Miniflare)`,
		edgeToken: `(rejection − signature ~50 µs + rate-limit binding) × k + 1 write's I/O`,
		edgeBoard: `board read ${m(b.boardReadUs)} (its D1 reload every 0.5 s included)`,
		buyerToken: "an RPC without a write: 200 µs × k (the nonce-write RPC, 500 µs, less a write)",
		buyerClaim: `RPC + nonce write ${m(b.buyerRpcWithNonceWriteUs)} + pending row 300 µs × k + 2 writes' I/O`,
		buyerSettle: "a write 300 µs × k + its I/O",
		listingReject: "an RPC, reads only: 200 µs × k",
		listingGrant: "RPC + one transaction + alarm: (200 + 300) µs × k + 2 writes' I/O",
		listingCreate: `(${b.claimOnNewObjectMs} − ${b.claimOnExistingObjectMs}) / ${b.claimOnNewObjectMs} of a morning grant (${b.winningClaimUs} µs) × k`,
		coldStart:
			"taken equal to listingCreate (an object's first use: constructor, schema, database opened); workerd frees idle objects ('Actor freed due to inactivity'), Cloudflare after 10 s idle",
		listingPeek: "an RPC, reads only: 200 µs × k",
		listingFlush: "RPC + row update + its I/O",
		listingAck: "a write + its I/O",
		consumerPerMsg: "300 µs × k",
		notificationsPerGrant: `the rest of phase 3's grant (${grantTotal.toFixed(1)} ms) after every step above`,
		hubApply: "a write + its I/O",
		hubApplyPerChange: "a write",
		hubRecord: "a write + its I/O",
		hubSendPerSocketFrame: "docs/LIVE.md: one change to 500 sockets in ≤ 112 − 75 ms (upper bound)",
		ledgerAppend: "not in the measured commit (0)",
		d1TermsFreeze: "a write + its I/O",
		d1WriteBase: "a write's I/O",
		d1WritePerRow: "300 µs × k",
		d1ReadBase: "200 µs × k",
		d1ReadPerRow: "1 µs × k",
	};

	const platform: Platform = {
		name: "local",
		isolates: 1,
		colos: 1,
		clientRttMs: 0,
		objectRttMs: 0,
		stall: stallOf(state === "crowd" ? ceilingAgain : ceiling, n),
		consumerConcurrency: 1,
		queueBatchSize: 100,
		queueBatchTimeoutMs: 1000,
		notificationsBatchSize: 50,
		notificationsBatchTimeoutMs: 2000,
		claimReportMs: 500,
		objectSoftLimit: 1000,
		queueLimitPerS: 5000,
		hubSocketsLimit: 10_000,
	};
	return { costs, sources, platform };
}

/** Cloudflare's published figures, each with its address. */
export const PUBLISHED = {
	objectSoftLimit: {
		value: 1000,
		text: "An individual Object has a soft limit of 1,000 requests per second",
		url: "https://developers.cloudflare.com/durable-objects/platform/limits/",
	},
	objectHubSockets: {
		value: 10_000,
		text: "Durable Objects can act as WebSocket servers that connect thousands of clients per instance (no hard number is published; the model reads 'thousands' as at most 10,000)",
		url: "https://developers.cloudflare.com/durable-objects/best-practices/websockets/",
	},
	queueThroughput: {
		value: 5000,
		text: "Per-queue message throughput: 5,000 messages per second",
		url: "https://developers.cloudflare.com/queues/platform/limits/",
	},
	queueBatch: {
		value: 100,
		text: "Maximum consumer batch size: 100 messages; concurrent consumer invocations: 250",
		url: "https://developers.cloudflare.com/queues/platform/limits/",
	},
	d1SingleThread: {
		value: 1,
		text: "Each individual D1 database is inherently single-threaded, and processes queries one at a time … If your average query takes 1 ms, you can run approximately 1,000 queries per second",
		url: "https://developers.cloudflare.com/d1/platform/limits/",
	},
	d1WriteMs: {
		value: 3,
		text: "Read queries … with an appropriate index … less than a millisecond; write queries like INSERT or UPDATE can take several milliseconds",
		url: "https://developers.cloudflare.com/d1/platform/limits/",
	},
	rateLimiting: {
		value: 0,
		text: "The Rate Limiting API … counters are cached on the same machine that your Worker runs in … local to the Cloudflare location",
		url: "https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/",
	},
	hibernation: {
		value: 0,
		text: "The WebSocket Hibernation API allows a Durable Object … to be removed from memory while keeping its WebSockets connected",
		url: "https://developers.cloudflare.com/durable-objects/best-practices/websockets/",
	},
} as const;

/**
 * Cloudflare costs. Edge work is this machine's morning measurement (the quiet run: CPU per request
 * of the same code; production hardware is no slower), with the Rate Limiting binding an in-memory
 * counter as Cloudflare documents it. Every Durable Object request is taken to cost its object
 * 1 ms — the published ~1,000 requests/s soft limit — and D1 queries the published rules of thumb.
 */
export function cloudflareCosts(bench: BenchNumbers): { costs: Costs; sources: CostSources } {
	const b = bench.breakdown;
	const ms = (us: number) => us / 1000;
	const doRequest = 1000 / PUBLISHED.objectSoftLimit.value;
	const costs: Costs = {
		edgeRefuse: ms(b.soldOutRejectionUs),
		edgeForward: 0.1,
		edgeToken: ms(b.soldOutRejectionUs),
		edgeBoard: ms(b.boardReadUs),
		buyerToken: doRequest,
		buyerClaim: doRequest,
		buyerSettle: doRequest,
		listingReject: doRequest,
		listingGrant: doRequest,
		listingCreate: 0,
		coldStart: doRequest,
		listingPeek: doRequest,
		listingFlush: doRequest,
		listingAck: doRequest,
		consumerPerMsg: 0.3,
		notificationsPerGrant: 0,
		hubApply: doRequest,
		hubApplyPerChange: 0.1,
		hubRecord: doRequest,
		hubSendPerSocketFrame: 0.07,
		ledgerAppend: doRequest,
		d1TermsFreeze: 1,
		d1WriteBase: PUBLISHED.d1WriteMs.value,
		d1WritePerRow: 0.1,
		d1ReadBase: 0.5,
		d1ReadPerRow: 0.001,
	};
	const soft = `1 ms: the soft limit, ${PUBLISHED.objectSoftLimit.url}`;
	const sources: CostSources = {
		edgeHealth: "not used",
		edgeRefuse: `this machine, quiet morning: ${b.soldOutRejectionUs} µs (docs/BENCHMARKS.md)`,
		edgeForward: `nonce + answer; the Rate Limiting binding is a local counter (${PUBLISHED.rateLimiting.url})`,
		edgeToken: "≈ a rejection's edge work (session, event, HMAC), this machine",
		edgeBoard: `this machine, quiet morning: ${b.boardReadUs} µs`,
		buyerToken: soft,
		buyerClaim: soft,
		buyerSettle: soft,
		listingReject: soft,
		listingGrant: soft,
		listingCreate: "0: not separately known on Cloudflare (its cost is in the first request)",
		coldStart:
			"assumed one more request's worth (1 ms) after ≥ 10 s idle (durable-objects/concepts/durable-object-lifecycle)",
		listingPeek: soft,
		listingFlush: soft,
		listingAck: soft,
		consumerPerMsg: "assumed 0.3 ms CPU per message",
		notificationsPerGrant: "on its own queue and consumer (counted in queue operations and D1 rows)",
		hubApply: soft,
		hubApplyPerChange: "assumed 0.1 ms per further hold in one RPC (as D1's per row)",
		hubRecord: soft,
		hubSendPerSocketFrame: "docs/LIVE.md: ≤ 70 µs per socket per frame measured here (no published figure)",
		ledgerAppend: soft,
		d1TermsFreeze: `a small batch that writes nothing after the first: ~1 ms (${PUBLISHED.d1SingleThread.url})`,
		d1WriteBase: `'several milliseconds' per write query: 3 ms (${PUBLISHED.d1WriteMs.url})`,
		d1WritePerRow: "assumed 0.1 ms per row of a batch",
		d1ReadBase: `'less than a millisecond' for an indexed read: 0.5 ms (${PUBLISHED.d1WriteMs.url})`,
		d1ReadPerRow: "assumed 1 µs per row scanned",
	};
	return { costs, sources };
}

export function cloudflarePlatform(isolates: number): Platform {
	return {
		name: "cloudflare",
		isolates,
		colos: Math.min(isolates, 30),
		clientRttMs: 40,
		objectRttMs: 20,
		stall: null,
		consumerConcurrency: 250,
		queueBatchSize: 100,
		queueBatchTimeoutMs: 1000,
		notificationsBatchSize: 50,
		notificationsBatchTimeoutMs: 2000,
		claimReportMs: 500,
		objectSoftLimit: PUBLISHED.objectSoftLimit.value,
		queueLimitPerS: PUBLISHED.queueThroughput.value,
		hubSocketsLimit: PUBLISHED.objectHubSockets.value,
	};
}
