// The opening minute as a discrete-event model of Kaipan's request paths (README "Follow one claim",
// docs/PROTOCOL.md). Each request walks the same steps as the code:
//   purchase token  edge → buyer object (is the session current?)
//   claim           edge: checks, then the isolate's sold-out flag (worker/hot-reads/sold-out-flags.ts:
//                   409 from memory, or a read-only peek renews a flag past its TTL) → buyer object
//                   (one claim of a buyer at a time; nonce, limit, the buyer's rules from D1 until the
//                   edge's copy of the event shows the terms frozen, a pending row) → listing object
//                   (its terms from D1 on first use; grant or sold_out) → buyer object settles → edge
//                   marks the unit sold out in this isolate; a buyer object that waits 2.5 s answers
//                   503 overloaded (Retry-After 1) and settles the late answer when it comes
//   after a grant   the listing drains its outbox: the hub (fast path), the orders queue, the ledger
//                   (one append per change: new in this release); the orders consumer (batches of 100
//                   or 1 s) writes D1, tells the hub again, queues notifications, acknowledges
//   listing board   the isolate's availability copy of D1 (0.5 s, one reload at a time)
//   background      each isolate reports claim counts to the hub every 0.5 s; each location reloads
//                   the event and the catalogue from D1 every second; the hub broadcasts changed
//                   listings to every socket every 75 ms
// Every piece of work runs on the thread of the object that does it (Exec): many on Cloudflare, one
// under Miniflare here. The buyers behave as scripts/bench/crowd.mts's crowd does.
import { mulberry32, zipfSampler } from "../bench/random.mts";
import { type Exec, Pool, type PoolStats, SharedPool, SharedThread } from "./exec.mts";
import type { Costs, Platform } from "./params.mts";
import { Latencies, PerSecond, Sim } from "./sim.mts";

/** Fixes the model can turn on (SCALE.md "Fixes the model calls for"), each off by default. */
export interface Fixes {
	/** Buyer sockets spread over this many hub shards fed by one root hub (0: one hub holds them all). */
	shardedHub: number;
	/** Input hubs that listings push to when the hub is sharded (the design: 10; as built: LIVE_FEED_INPUTS). */
	hubInputs: number;
	/**
	 * As built: one more object per event, the staff's DashboardHub, a subscriber of every input's batches
	 * (like a shard) and where the claim counts end: each isolate reports every 2 s to one shard, each
	 * shard passes its sums on at most every 2 s (worker/live/claim-report.ts).
	 */
	staffHub: boolean;
	/** One frame per socket per second carrying every change, instead of a frame per changed listing. */
	hubCoalesce: boolean;
	/** Every isolate learns a unit sold out within `pushLatencyMs` of the grant, without asking. */
	pushSoldOut: boolean;
	pushLatencyMs: number;
	/** The ledger fed in batches by the orders consumer instead of one append per change. */
	batchLedger: boolean;
	/** An isolate sends one claim per unit at a time; claims arriving meanwhile wait for its answer. */
	singleFlight: boolean;
	/**
	 * A hot unit's first wave kept under the object's limit: each isolate forwards at most one claim
	 * per unit every (isolates ÷ soft limit) seconds, from a random phase; the rest get 503 with
	 * Retry-After 1 (by then the unit's sold-out flag answers them).
	 */
	firstWaveBudget: boolean;
	/** Terms frozen and listing objects created before the opening (no D1 read per first claim). */
	freezeAtOpen: boolean;
	/** Claim counts reported per location every 2 s instead of per isolate every 0.5 s. */
	countsPerColo: boolean;
	/** The board's availability copy shared per location (Cache API) instead of per isolate. */
	boardPerColo: boolean;
	/** Not a fix: the sold-out flags switched off, to show what they do. */
	flagsOff: boolean;
}

export const NO_FIXES: Fixes = {
	shardedHub: 0,
	hubInputs: 10,
	staffHub: false,
	hubCoalesce: false,
	pushSoldOut: false,
	pushLatencyMs: 250,
	batchLedger: false,
	singleFlight: false,
	firstWaveBudget: false,
	freezeAtOpen: false,
	countsPerColo: false,
	boardPerColo: false,
	flagsOff: false,
};

export type Driver =
	/** The bench: `connections` requests in flight, buyers queue for a slot in order (crowd.mts). */
	| { kind: "closed"; connections: number; deadlineMs: number }
	/**
	 * People: each buyer's first click comes `fastShare` within `fastMs` of the opening, the rest
	 * spread exponentially with mean `slowMeanMs`; `thinkMs` between a refusal and the next click.
	 */
	| {
			kind: "open";
			fastShare: number;
			fastMs: number;
			slowMeanMs: number;
			thinkMs: [number, number];
			horizonMs: number;
	  };

export interface Crowd {
	buyers: number;
	units: number;
	/** Zipf exponent over the units, best first. */
	skew: number;
	multiTabShare: number;
	seed: number;
	driver: Driver;
	/** Tries per unit on 429/503 (crowd.mts: 6); 1 means a buyer never retries. */
	maxTriesPerUnit: number;
	/** Lottery events: `batchSize` buyers enter every `batchSeconds` (API.md "Lottery-ordered events"). */
	lottery: { batchSize: number; batchSeconds: number } | null;
	/** Share of buyers with a live page (a socket on the hub). */
	liveShare: number;
	/** The event ledger (one object per event, every hold change appended): new in this release. */
	ledger: boolean;
}

export interface Scenario {
	name: string;
	platform: Platform;
	costs: Costs;
	crowd: Crowd;
	fixes: Fixes;
}

type Code = "won" | "sold_out" | "limit_reached" | "overloaded" | "ok";
export type Kind = "token" | "claim" | "board" | "health";

const FLAG_TTL_MS = 5_000;
const FLAG_STALE_MS = 1_000;
const INVENTORY_WAIT_MS = 2_500;
const BROADCAST_DELAY_MS = 75;
const AVAILABILITY_TTL_MS = 500;
const AVAILABILITY_GRACE_MS = 200;
const BOARD_LOOKS = 2;
const TRIES_PER_LOOK = 3;
/** How long after the first freeze an isolate's copy of the event shows the terms frozen (≤ 2 TTLs). */
const EVENT_COPY_LAG_MAX_MS = 2_000;
/** Input hubs in front of the socket shards when the hub is sharded (a fix). */
/** An object idle this long hibernates; its next request runs its constructor again. */
const HIBERNATE_AFTER_MS = 10_000;

/** Rows written and read per operation, for the bill (each write statement's rows and index rows). */
const ROWS = {
	buyerClaim: 6,
	buyerSettle: 2,
	listingGrant: 5,
	listingFlush: 2,
	listingAck: 1,
	listingCreate: 3,
	hubApplyPerChange: 3,
	hubRecord: 3,
	ledgerPerEntry: 2,
	d1OrderPerRow: 3,
	d1NotificationPerRow: 2,
} as const;

interface Flag {
	until: number;
	renewing: boolean;
}

interface Availability {
	snapshotAt: number;
	loadedAt: number;
	reloading: boolean;
}

export interface ObjectReport {
	name: string;
	requests: number;
	peakPerS: number;
	peakSecond: number;
	busyPeakMsPerS: number;
	maxWaitMs: number;
	busyMs: number;
}

/** One limit: its published (or measured) value, the peak the run reached, and when it was first passed. */
export interface LimitReport {
	what: string;
	limit: number;
	unit: string;
	peak: number;
	/** The first second (from the opening) in which the peak measure exceeded the limit; null: never. */
	firstOverS: number | null;
}

export interface OpeningResult {
	name: string;
	platform: Platform["name"];
	isolates: number;
	buyers: number;
	units: number;
	durationS: number;
	events: number;
	requests: number;
	throughput: number;
	latency: Record<Kind | "all", { p50: number; p99: number; max: number; mean: number; count: number }>;
	outcomes: Record<string, number>;
	buyerOutcomes: Record<string, number>;
	grants: number;
	lastGrantS: number;
	retries: number;
	/** Claims refused by a flag / by the buyer object / that reached the listing; flag renewals; D1 rules reads. */
	paths: { flag: number; buyer: number; listing: number; peeks: number; d1Rules: number };
	stallSeconds: number;
	coldStarts: number;
	hottestListing: { unit: number; peakPerS: number; firstSecond: number; maxWaitMs: number };
	objects: Record<"isolates" | "buyers" | "listings" | "hub" | "ledger" | "d1" | "consumer", ObjectReport>;
	thread: ObjectReport | null;
	queueMsgs: { peakPerS: number; total: number };
	d1Queries: {
		peakPerS: number;
		total: number;
		byKind: Record<string, number>;
		/** Work (ms) each kind offered D1 in D1's worst second. */
		worstSecondByKind: Record<string, number>;
	};
	hub: {
		sockets: number;
		shards: number;
		socketsPerShard: number;
		framesTotal: number;
		busiestShardPeakMsPerS: number;
		/** applyHolds requests the input hubs received (the fast path and the orders consumer). */
		inputRequests: number;
	};
	limits: LimitReport[];
	bill: {
		workerRequests: number;
		workerCpuMs: number;
		doRequests: number;
		doActiveSeconds: number;
		doRowsWritten: number;
		doRowsRead: number;
		queueOperations: number;
		d1RowsRead: number;
		d1RowsWritten: number;
	};
}

function report(stats: PoolStats): ObjectReport {
	return {
		name: stats.name,
		requests: stats.jobs,
		peakPerS: stats.arrivals.peak,
		peakSecond: stats.arrivals.peakSecond,
		busyPeakMsPerS: stats.busy.peak,
		maxWaitMs: stats.maxWaitMs,
		busyMs: stats.busyMs,
	};
}

/** One buyer, as crowd.mts scripts it. */
class Agent {
	token = false;
	result: "won" | "sold_out" | "limit_reached" | "gave_up" = "sold_out";
	readonly id: number;
	readonly choices: number[];
	readonly multiTab: boolean;
	constructor(id: number, choices: number[], multiTab: boolean) {
		this.id = id;
		this.choices = choices;
		this.multiTab = multiTab;
	}
}

export function runOpening(scenario: Scenario): OpeningResult {
	return { ...new Opening(scenario).run(), name: scenario.name };
}

/** A bench phase of prepared requests (see Opening.runList). */
export function runPhase(
	scenario: Scenario,
	list: readonly { kind: Kind; buyer: number; unit: number }[],
	connections: number,
	sold: number[] = [],
): OpeningResult {
	return { ...new Opening(scenario).runList(list, connections, sold), name: scenario.name };
}

class Opening {
	private readonly sim = new Sim();
	private readonly rng: () => number;
	private readonly p: Platform;
	private readonly c: Costs;
	private readonly crowd: Crowd;
	private readonly fx: Fixes;
	// Where work runs.
	private readonly thread: SharedThread | null;
	private readonly isolates: Exec;
	private readonly buyerObjects: Exec;
	private readonly listings: Exec & { times: Map<number, number[]> };
	private readonly hub: Exec;
	private readonly ledger: Exec;
	private readonly d1: Exec;
	private readonly consumers: Exec;
	// Buyers.
	private agents: Agent[] = [];
	private active = 0;
	private readonly holds: Uint8Array;
	private readonly pending: Uint8Array;
	private readonly rulesKnown: Uint8Array;
	private readonly claimBusy: Uint8Array;
	private readonly claimQueue = new Map<number, ((delay: number) => void)[]>();
	/** When each buyer / listing object last had a request (cold starts after HIBERNATE_AFTER_MS). */
	private readonly buyerTouched: Float64Array;
	private readonly listingTouched: Float64Array;
	private coldStarts = 0;
	// Listings.
	private readonly reserved: Uint8Array;
	private readonly sold: Uint8Array;
	private readonly soldAt: Float64Array;
	private readonly holder: Int32Array;
	private readonly termsReady: Uint8Array;
	private readonly termsWaiters = new Map<number, (() => void)[]>();
	private readonly d1At: Float64Array;
	private d1Recorded: { t: number; unit: number }[] = [];
	// Isolates.
	private readonly flags: Map<number, Flag>[];
	private readonly inFlight: Map<number, ((code: Code) => void)[]>[];
	private readonly budgetNext = new Map<number, number>();
	private readonly counted: Int32Array;
	private readonly availability: (Availability | null)[];
	private readonly eventLag: Float64Array;
	private frozenAt = Number.POSITIVE_INFINITY;
	private readonly colosActive: Float64Array;
	// Pipeline.
	private queue: number[] = [];
	private queueTimer = false;
	private consumersRunning = 0;
	private consumerSlot = 0;
	private notifQueue = 0;
	private notifTimer = false;
	private readonly hubPending: Float64Array;
	/** Input hubs (1 unless sharded) and socket shards (1: the input hub holds the sockets itself). */
	private readonly hubInputs: number;
	private inputRequests = 0;
	/** The staff hub's slot in the hub pool (-1: none; the inputs take the counts). */
	private readonly staffHub: number;
	/** Claim counts each shard holds until it passes them on (staffHub). */
	private readonly shardCounted: Int32Array;
	private readonly hubSeen: Uint8Array;
	private readonly hubTimer: Uint8Array;
	private readonly sockets: number;
	private readonly shards: number;
	// Measurements.
	private readonly lat: Record<Kind, Latencies> = {
		token: new Latencies(),
		claim: new Latencies(),
		board: new Latencies(),
		health: new Latencies(),
	};
	private readonly outcomes = new Map<string, number>();
	private readonly buyerOutcomes = new Map<string, number>();
	private readonly queueMsgs = new PerSecond();
	private readonly ordersMsgs = new PerSecond();
	private readonly notificationMsgs = new PerSecond();
	/** D1 work per kind per second (which kind filled D1's worst second). */
	private readonly d1KindPerSecond = new Map<string, PerSecond>();
	private readonly d1Queries = new PerSecond();
	private readonly d1ByKind = new Map<string, number>();
	private grants = 0;
	/** Claims by how far they went: refused by a flag, refused by the buyer object, reached the listing. */
	private readonly paths = { flag: 0, buyer: 0, listing: 0, peeks: 0, d1Rules: 0 };
	private lastGrantAt = 0;
	private retries = 0;
	private requestsStarted = 0;
	private lastAnswerAt = 0;
	private framesTotal = 0;
	private readonly bill = {
		workerRequests: 0,
		workerCpuMs: 0,
		doRequests: 0,
		doActiveMs: 0,
		doRowsWritten: 0,
		doRowsRead: 0,
		queueOperations: 0,
		d1RowsRead: 0,
		d1RowsWritten: 0,
	};
	// Closed-loop driver.
	private permits = 0;
	private waiting: ((release: () => void) => void)[] = [];
	private waitingHead = 0;
	private deadline = Number.POSITIVE_INFINITY;
	private openListCache = new Map<number, number[]>();

	constructor(scenario: Scenario) {
		this.p = scenario.platform;
		this.c = scenario.costs;
		this.crowd = scenario.crowd;
		this.fx = scenario.fixes;
		this.rng = mulberry32(this.crowd.seed);
		const B = this.crowd.buyers;
		const U = this.crowd.units;
		const N = this.p.isolates;
		if (this.p.name === "local") {
			const t = new SharedThread(this.sim);
			this.thread = t;
			this.isolates = new SharedPool(this.sim, t, "isolates");
			this.buyerObjects = new SharedPool(this.sim, t, "buyer objects");
			this.listings = new SharedPool(this.sim, t, "listing objects", true, true);
			this.hub = new SharedPool(this.sim, t, "hub", true);
			this.ledger = new SharedPool(this.sim, t, "ledger");
			this.d1 = new SharedPool(this.sim, t, "D1");
			this.consumers = new SharedPool(this.sim, t, "orders consumer");
		} else {
			this.thread = null;
			this.isolates = new Pool(this.sim, "isolates", N);
			this.buyerObjects = new Pool(this.sim, "buyer objects", B);
			this.listings = new Pool(this.sim, "listing objects", U, true, true);
			this.hub = new Pool(this.sim, "hub", this.fx.hubInputs + Math.max(1, this.fx.shardedHub) + 1, true);
			this.ledger = new Pool(this.sim, "ledger", 1);
			this.d1 = new Pool(this.sim, "D1", 1);
			this.consumers = new Pool(this.sim, "orders consumer", this.p.consumerConcurrency);
		}
		this.buyerTouched = new Float64Array(B).fill(Number.NEGATIVE_INFINITY);
		this.listingTouched = new Float64Array(U).fill(Number.NEGATIVE_INFINITY);
		this.holds = new Uint8Array(B);
		this.pending = new Uint8Array(B);
		this.rulesKnown = new Uint8Array(B);
		this.claimBusy = new Uint8Array(B);
		this.reserved = new Uint8Array(U);
		this.sold = new Uint8Array(U);
		this.soldAt = new Float64Array(U).fill(Number.POSITIVE_INFINITY);
		this.holder = new Int32Array(U).fill(-1);
		this.termsReady = new Uint8Array(U);
		this.d1At = new Float64Array(U).fill(Number.POSITIVE_INFINITY);
		this.flags = Array.from({ length: N }, () => new Map<number, Flag>());
		this.inFlight = Array.from({ length: N }, () => new Map<number, ((code: Code) => void)[]>());
		this.counted = new Int32Array(this.fx.countsPerColo && !this.fx.staffHub ? this.p.colos : N);
		this.availability = Array.from({ length: this.fx.boardPerColo ? this.p.colos : N }, () => null);
		this.eventLag = Float64Array.from({ length: N }, () => this.rng() * EVENT_COPY_LAG_MAX_MS);
		this.colosActive = new Float64Array(this.p.colos).fill(Number.NEGATIVE_INFINITY);
		this.sockets = Math.round(B * this.crowd.liveShare);
		this.shards = this.fx.shardedHub > 0 ? this.fx.shardedHub : 1;
		this.hubSeen = new Uint8Array(U);
		this.hubInputs = this.shards > 1 ? Math.max(1, this.fx.hubInputs) : 1;
		this.hubPending = new Float64Array(this.hubInputs + this.shards);
		this.hubTimer = new Uint8Array(this.hubInputs + this.shards);
		this.staffHub = this.shards > 1 && this.fx.staffHub ? this.hubInputs + this.shards : -1;
		this.shardCounted = new Int32Array(this.shards);
		if (this.fx.freezeAtOpen) {
			this.termsReady.fill(1);
			this.frozenAt = Number.NEGATIVE_INFINITY;
		}
	}

	/**
	 * A bench phase of prepared requests (phases 1–3): `connections` in flight, each next request sent
	 * as one is answered. `sold` units are taken (and flagged in every isolate) before it starts; the
	 * event's terms are frozen (the edge event's setup claim did that).
	 */
	runList(
		list: readonly { kind: Kind; buyer: number; unit: number }[],
		connections: number,
		sold: number[],
	): OpeningResult {
		this.frozenAt = Number.NEGATIVE_INFINITY;
		for (const u of sold) {
			this.termsReady[u] = 1;
			this.reserved[u] = 1;
			this.sold[u] = 1;
			this.soldAt[u] = 0;
			this.holder[u] = this.crowd.buyers - 1;
			for (let iso = 0; iso < this.p.isolates; iso++) this.markSoldOut(iso, u);
		}
		this.active = 1;
		let next = 0;
		const lane = () => {
			if (next >= list.length) {
				if (--lanes === 0) this.active = 0;
				return;
			}
			const r = list[next++] as { kind: Kind; buyer: number; unit: number };
			this.request(r.kind, r.buyer, () => lane(), r.unit);
		};
		let lanes = Math.min(connections, list.length);
		for (let i = 0; i < lanes; i++) lane();
		this.startBackground();
		this.sim.run();
		return this.result();
	}

	run(): OpeningResult {
		this.createAgents();
		const driver = this.crowd.driver;
		if (driver.kind === "closed") {
			this.permits = driver.connections;
			this.deadline = driver.deadlineMs;
		}
		for (const a of this.agents) this.startAgent(a);
		this.startBackground();
		const horizon = driver.kind === "open" ? driver.horizonMs : Number.POSITIVE_INFINITY;
		this.sim.run(horizon);
		return this.result();
	}

	// --- buyers ----------------------------------------------------------------------------------

	private createAgents(): void {
		const pick = zipfSampler(this.crowd.units, this.crowd.skew, this.rng);
		for (let id = 0; id < this.crowd.buyers; id++) {
			const wants = new Set<number>();
			const howMany = 1 + Math.floor(this.rng() * 3);
			for (let i = 0; i < howMany * 4 && wants.size < howMany; i++) wants.add(pick());
			const choices = [...wants];
			const multiTab = choices.length >= 2 && this.rng() < this.crowd.multiTabShare;
			this.agents.push(new Agent(id, choices, multiTab));
		}
	}

	/** When buyer `id` may first act: the opening, or its lottery batch's entry; plus its reaction. */
	private arrivalOf(id: number): number {
		const d = this.crowd.driver;
		if (d.kind === "closed") return 0;
		const entry = this.crowd.lottery
			? Math.floor(id / this.crowd.lottery.batchSize) * this.crowd.lottery.batchSeconds * 1000
			: 0;
		const reaction =
			this.rng() < d.fastShare ? this.rng() * d.fastMs : d.fastMs - d.slowMeanMs * Math.log(1 - this.rng());
		return entry + reaction;
	}

	private think(): number {
		const d = this.crowd.driver;
		return d.kind === "open" ? d.thinkMs[0] + this.rng() * (d.thinkMs[1] - d.thinkMs[0]) : 0;
	}

	/** Runs `action` when the buyer may act: a free connection (bench) or after `delayMs` (people). */
	private act(delayMs: number, action: (release: () => void) => void): void {
		if (this.crowd.driver.kind === "closed") {
			if (this.permits > 0) {
				this.permits -= 1;
				action(() => this.release());
			} else {
				this.waiting.push(action);
			}
			return;
		}
		this.sim.after(delayMs, () => action(() => undefined));
	}

	private release(): void {
		if (this.waitingHead < this.waiting.length) {
			const next = this.waiting[this.waitingHead] as (release: () => void) => void;
			this.waiting[this.waitingHead] = () => undefined;
			this.waitingHead += 1;
			if (this.waitingHead > 4096 && this.waitingHead * 2 > this.waiting.length) {
				this.waiting = this.waiting.slice(this.waitingHead);
				this.waitingHead = 0;
			}
			next(() => this.release());
		} else {
			this.permits += 1;
		}
	}

	private startAgent(a: Agent): void {
		this.active += 1;
		const first = this.arrivalOf(a.id);
		const begin = () => {
			if (a.multiTab) {
				let left = 2;
				const results: string[] = [];
				const both = (r: string) => {
					results.push(r);
					if (--left > 0) return;
					a.result = results.includes("won") ? "won" : results.includes("limit_reached") ? "limit_reached" : "sold_out";
					this.nextChoice(a, 2);
				};
				this.attempt(a, a.choices[0] as number, 1, 0, both);
				this.attempt(a, a.choices[1] as number, 1, 0, both);
			} else {
				this.nextChoice(a, 0);
			}
		};
		if (this.crowd.driver.kind === "closed") begin();
		else this.sim.at(first, begin);
	}

	private nextChoice(a: Agent, index: number): void {
		if (a.result !== "sold_out") {
			this.finish(a);
			return;
		}
		if (index >= a.choices.length) {
			this.boardLook(a, 0);
			return;
		}
		this.attempt(a, a.choices[index] as number, 1, index === 0 ? 0 : this.think(), (r) => {
			a.result = r;
			this.nextChoice(a, index + 1);
		});
	}

	private boardLook(a: Agent, look: number): void {
		if (a.result !== "sold_out" || look >= BOARD_LOOKS || this.sim.now > this.deadline) {
			this.finish(a);
			return;
		}
		this.act(this.think(), (release) => {
			this.request("board", a.id, (_code, open) => {
				release();
				if (!open || open.length === 0) {
					this.finish(a);
					return;
				}
				let t = 0;
				const tryOne = () => {
					if (a.result !== "sold_out") {
						this.finish(a);
						return;
					}
					if (t >= TRIES_PER_LOOK) {
						this.boardLook(a, look + 1);
						return;
					}
					t += 1;
					const unit = open[Math.floor(this.rng() * open.length)] as number;
					this.attempt(a, unit, 1, this.think(), (r) => {
						a.result = r;
						tryOne();
					});
				};
				tryOne();
			});
		});
	}

	private attempt(a: Agent, unit: number, tryNo: number, delayMs: number, done: (r: Agent["result"]) => void): void {
		if (this.sim.now > this.deadline) {
			done("gave_up");
			return;
		}
		this.act(delayMs, (release) => {
			const claim = () =>
				this.request(
					"claim",
					a.id,
					(code) => {
						release();
						if (code === "won") {
							done("won");
							return;
						}
						if (code === "sold_out" || code === "limit_reached") {
							done(code);
							return;
						}
						if (tryNo >= this.crowd.maxTriesPerUnit) {
							done("gave_up");
							return;
						}
						this.retries += 1;
						// crowd.mts: Retry-After (1 s) with full jitter, then the same unit again.
						const wait = Math.min(10_000, 1000 * (0.5 + this.rng()));
						this.sim.after(wait, () => this.attempt(a, unit, tryNo + 1, 0, done));
					},
					unit,
				);
			if (a.token) return claim();
			this.request("token", a.id, () => {
				a.token = true;
				claim();
			});
		});
	}

	private finish(a: Agent): void {
		const label = a.result === "sold_out" ? "went home empty-handed" : a.result === "won" ? "holds a unit" : a.result;
		this.buyerOutcomes.set(label, (this.buyerOutcomes.get(label) ?? 0) + 1);
		this.active -= 1;
	}

	// --- requests --------------------------------------------------------------------------------
	// Network hops are folded into the arrival time of the job they lead to (Exec.submit's delay and
	// returnDelay), so a hop costs no event of its own.

	/** Sends one HTTP request of buyer `b`; `answer` gets its outcome (and the board's open units). */
	private request(kind: Kind, b: number, answer: (code: Code, open?: number[]) => void, unit = -1): void {
		const sent = this.sim.now;
		this.requestsStarted += 1;
		this.bill.workerRequests += 1;
		const half = this.p.clientRttMs / 2;
		const iso = Math.floor(this.rng() * this.p.isolates);
		this.colosActive[iso % this.p.colos] = this.sim.now;
		const respond = (code: Code, open?: number[]) => {
			this.later(half, () => {
				const ms = this.sim.now - sent;
				this.lat[kind].add(ms);
				this.lastAnswerAt = this.sim.now;
				const key =
					code === "ok" ? "200" : code === "won" ? "201" : code === "overloaded" ? "503 overloaded" : `409 ${code}`;
				this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
				answer(code, open);
			});
		};
		// A new request: its steps run by its own start time, not its sender's (SharedThread).
		const thread = this.thread;
		const saved = thread ? thread.current : null;
		if (thread) thread.current = null;
		if (kind === "token") this.token(iso, b, respond, half);
		else if (kind === "board") this.board(iso, respond, half);
		else if (kind === "health") this.edge(iso, this.c.edgeHealth ?? 0, () => respond("ok"), half);
		else this.claim(iso, b, unit, respond, half);
		if (thread) thread.current = saved;
	}

	private later(ms: number, fn: () => void): void {
		if (ms <= 0) fn();
		else this.sim.after(ms, fn);
	}

	/** Half a round trip between the edge and an object, or between two objects. */
	private get hopMs(): number {
		return this.p.objectRttMs / 2;
	}

	/** A buyer object's job, plus its cold start when it has been idle long enough to hibernate. */
	private onBuyer(b: number, cost: number, done?: () => void, delay = 0, returnDelay = 0): number {
		const at = this.sim.now + delay;
		if (at - (this.buyerTouched[b] as number) >= HIBERNATE_AFTER_MS) {
			cost += this.c.coldStart;
			this.coldStarts += 1;
		}
		this.buyerTouched[b] = at;
		this.bill.doActiveMs += cost;
		return this.buyerObjects.submit(b, cost, done, delay, returnDelay);
	}

	/** A listing object's job (created objects only), plus its cold start after idling. */
	private onListing(unit: number, cost: number, done?: () => void, delay = 0, returnDelay = 0): number {
		const at = this.sim.now + delay;
		const last = this.listingTouched[unit] as number;
		if (last > Number.NEGATIVE_INFINITY && at - last >= HIBERNATE_AFTER_MS) {
			cost += this.c.coldStart;
			this.coldStarts += 1;
		}
		this.listingTouched[unit] = at;
		this.bill.doActiveMs += cost;
		return this.listings.submit(unit, cost, done, delay, returnDelay);
	}

	private edge(iso: number, cost: number, fn: () => void, delay = 0): void {
		this.bill.workerCpuMs += cost;
		this.isolates.submit(iso, cost, fn, delay);
	}

	private token(iso: number, b: number, respond: (code: Code) => void, delay: number): void {
		this.edge(
			iso,
			this.c.edgeToken,
			() => {
				this.bill.doRequests += 1;
				this.onBuyer(b, this.c.buyerToken, () => respond("ok"), this.hopMs, this.hopMs);
			},
			delay,
		);
	}

	private claim(iso: number, b: number, unit: number, respond: (code: Code) => void, delay: number): void {
		this.edge(
			iso,
			this.c.edgeRefuse,
			() => {
				if (this.refusedByFlag(iso, unit, b)) {
					this.paths.flag += 1;
					this.countClaim(iso);
					respond("sold_out");
					return;
				}
				if (this.fx.firstWaveBudget && !this.budgetAllows(iso, unit)) {
					this.countClaim(iso);
					respond("overloaded");
					return;
				}
				if (this.fx.singleFlight) {
					const waiters = this.inFlight[iso]?.get(unit);
					if (waiters) {
						waiters.push((code) => {
							this.countClaim(iso);
							respond(code === "won" ? "sold_out" : code);
						});
						return;
					}
					this.inFlight[iso]?.set(unit, []);
				}
				this.edge(iso, this.c.edgeForward, () =>
					this.buyerClaim(iso, b, unit, (code) => {
						// Back at the edge (the buyer object answered `hopMs` ago).
						if (code === "won" || code === "sold_out") this.markSoldOut(iso, unit);
						this.countClaim(iso);
						if (this.fx.singleFlight) {
							const waiters = this.inFlight[iso]?.get(unit) ?? [];
							this.inFlight[iso]?.delete(unit);
							for (const w of waiters) w(code);
						}
						respond(code);
					}),
				);
			},
			delay,
		);
	}

	/**
	 * BuyerQuota.claim, called from the edge (one hop away): the buyer's claims one at a time. `answer`
	 * runs back at the edge.
	 */
	private buyerClaim(iso: number, b: number, unit: number, answer: (code: Code) => void): void {
		this.bill.doRequests += 1;
		const arrived = this.sim.now + this.hopMs;
		const run = (delay: number) => {
			this.claimBusy[b] = 1;
			const finish = (code: Code) => {
				// Billed while the call is out too (awaiting another object keeps it in memory).
				this.bill.doActiveMs += Math.max(0, this.sim.now - arrived - this.c.buyerClaim);
				this.claimBusy[b] = 0;
				const queue = this.claimQueue.get(b);
				const next = queue?.shift();
				if (queue && queue.length === 0) this.claimQueue.delete(b);
				this.later(this.hopMs, () => answer(code));
				if (next) next(0);
			};
			this.bill.doRowsWritten += ROWS.buyerClaim;
			this.onBuyer(
				b,
				this.c.buyerClaim,
				() => {
					if ((this.holds[b] as number) + (this.pending[b] as number) >= 1) {
						this.paths.buyer += 1;
						finish("limit_reached");
						return;
					}
					const go = () => this.callInventory(b, unit, finish);
					if (this.rulesKnown[b]) {
						go();
						return;
					}
					this.rulesKnown[b] = 1;
					// frozenRules travel with the claim once this isolate's copy of the event shows them frozen.
					if (this.sim.now >= this.frozenAt + (this.eventLag[iso] as number)) {
						go();
						return;
					}
					this.paths.d1Rules += 1;
					this.d1Query("terms freeze (buyer)", this.c.d1TermsFreeze, 1, 0, () => {
						this.frozenAt = Math.min(this.frozenAt, this.sim.now);
						go();
					});
				},
				delay,
			);
		};
		if (this.claimBusy[b]) {
			const queue = this.claimQueue.get(b) ?? [];
			queue.push(run);
			this.claimQueue.set(b, queue);
		} else {
			run(this.hopMs);
		}
	}

	/** The pending row, the inventory call, and its settle — or 503 after INVENTORY_WAIT_MS. */
	private callInventory(b: number, unit: number, finish: (code: Code) => void): void {
		this.pending[b] = (this.pending[b] as number) + 1;
		let answered = false;
		const deadline = this.sim.now + INVENTORY_WAIT_MS;
		const answerAt = this.listingClaim(unit, b, (code) => {
			this.bill.doRowsWritten += ROWS.buyerSettle;
			this.onBuyer(b, this.c.buyerSettle, () => {
				this.pending[b] = (this.pending[b] as number) - 1;
				if (code === "won") this.holds[b] = 1;
				if (answered) return;
				answered = true;
				finish(code);
			});
		});
		// A timer only when the answer may come too late (most come in time: no event spent on them).
		if (answerAt + this.hopMs + this.c.buyerSettle > deadline) {
			this.sim.at(deadline, () => {
				if (answered) return;
				answered = true;
				finish("overloaded");
			});
		}
	}

	/**
	 * ListingInventory.claim, called from a buyer object one hop away; `answer` runs back there. Jobs
	 * on one object run in order, so the first claim submitted wins. Returns when the answer will be
	 * back when that is known now (Infinity while the terms are loading).
	 */
	private listingClaim(unit: number, b: number, answer: (code: Code) => void): number {
		this.bill.doRequests += 1;
		this.paths.listing += 1;
		return this.decide(unit, b, answer, this.hopMs);
	}

	private decide(unit: number, b: number, answer: (code: Code) => void, delay: number): number {
		const hop = this.hopMs;
		if (!this.termsReady[unit]) {
			const waiters = this.termsWaiters.get(unit);
			if (waiters) {
				waiters.push(() => this.decide(unit, b, answer, 0));
				return Number.POSITIVE_INFINITY;
			}
			// First use: the object's database, then one D1 read (and freeze) of its terms; claims that
			// arrive meanwhile wait for the same read (ListingInventory.loadTerms).
			this.termsWaiters.set(unit, []);
			this.bill.doRowsWritten += ROWS.listingCreate;
			this.onListing(
				unit,
				this.c.listingCreate,
				() =>
					this.d1Query("terms freeze (listing)", this.c.d1TermsFreeze, 2, 0, () => {
						this.frozenAt = Math.min(this.frozenAt, this.sim.now);
						this.termsReady[unit] = 1;
						const waiters = this.termsWaiters.get(unit) ?? [];
						this.termsWaiters.delete(unit);
						this.decide(unit, b, answer, 0);
						for (const w of waiters) w();
					}),
				delay,
			);
			return Number.POSITIVE_INFINITY;
		}
		if (!this.reserved[unit]) {
			this.reserved[unit] = 1;
			this.bill.doRowsWritten += ROWS.listingGrant;
			const end = this.onListing(
				unit,
				this.c.listingGrant,
				() => {
					this.sold[unit] = 1;
					this.soldAt[unit] = this.sim.now;
					this.holder[unit] = b;
					this.grants += 1;
					this.lastGrantAt = this.sim.now;
					this.flush(unit);
					this.later(hop, () => answer("won"));
				},
				delay,
			);
			return end + hop;
		}
		this.bill.doRowsRead += 2;
		return this.onListing(unit, this.c.listingReject, () => answer("sold_out"), delay, hop) + hop;
	}

	/** The listing's outbox after a grant: hub (fast path), orders queue, ledger. */
	private flush(unit: number): void {
		this.bill.doRowsWritten += ROWS.listingFlush;
		this.onListing(unit, this.c.listingFlush, () => {
			this.hubApply(unit);
			this.enqueueOrder(unit);
			if (this.crowd.ledger && !this.fx.batchLedger) {
				this.bill.doRequests += 1;
				this.bill.doRowsWritten += ROWS.ledgerPerEntry;
				this.bill.doActiveMs += this.c.ledgerAppend;
				this.ledger.submit(0, this.c.ledgerAppend, undefined, this.hopMs);
			}
		});
	}

	/** firstWaveBudget: one forward per unit per isolate every isolates/softLimit seconds. */
	private budgetAllows(iso: number, unit: number): boolean {
		const interval = (this.p.isolates / this.p.objectSoftLimit) * 1000;
		const key = iso * this.crowd.units + unit;
		const now = this.sim.now;
		let next = this.budgetNext.get(key);
		// A random first slot, so that the isolates' first forwards are spread over one interval.
		if (next === undefined) next = this.rng() * interval;
		if (now < next) {
			this.budgetNext.set(key, next);
			return false;
		}
		this.budgetNext.set(key, now + interval);
		return true;
	}

	// --- sold-out flags (worker/hot-reads/sold-out-flags.ts) --------------------------------------

	private refusedByFlag(iso: number, unit: number, b: number): boolean {
		if (this.fx.flagsOff) return false;
		const now = this.sim.now;
		if (this.holder[unit] === b) return false;
		if (this.fx.pushSoldOut && this.sold[unit] && now >= (this.soldAt[unit] as number) + this.fx.pushLatencyMs) {
			return true;
		}
		const flags = this.flags[iso] as Map<number, Flag>;
		const flag = flags.get(unit);
		if (!flag) return false;
		if (now >= flag.until + FLAG_STALE_MS) {
			flags.delete(unit);
			return false;
		}
		if (now >= flag.until && !flag.renewing) {
			flag.renewing = true;
			this.renew(iso, unit);
		}
		return true;
	}

	private markSoldOut(iso: number, unit: number): void {
		const flags = this.flags[iso] as Map<number, Flag>;
		const flag = flags.get(unit);
		if (flag) {
			flag.until = this.sim.now + FLAG_TTL_MS;
			flag.renewing = false;
		} else {
			flags.set(unit, { until: this.sim.now + FLAG_TTL_MS, renewing: false });
		}
	}

	/** The read-only peek that renews a flag past its TTL (in the background of the claim). */
	private renew(iso: number, unit: number): void {
		this.paths.peeks += 1;
		this.bill.doRequests += 1;
		this.onListing(
			unit,
			this.c.listingPeek,
			() => {
				if (this.sold[unit]) this.markSoldOut(iso, unit);
				else (this.flags[iso] as Map<number, Flag>).delete(unit);
			},
			this.hopMs,
			this.hopMs,
		);
	}

	// --- claim counts → hub (worker/claim/claim-counter.ts) --------------------------------------

	private countClaim(iso: number): void {
		if (this.staffHub >= 0) {
			this.countClaimPerShard(iso);
			return;
		}
		const slot = this.fx.countsPerColo ? iso % this.p.colos : iso;
		const before = this.counted[slot] as number;
		this.counted[slot] = before + 1;
		if (before > 0) return;
		const window = this.fx.countsPerColo ? 2_000 : this.p.claimReportMs;
		this.sim.after(window, () => {
			this.counted[slot] = 0;
			this.bill.doRequests += 1;
			this.bill.doRowsWritten += ROWS.hubRecord;
			this.bill.doActiveMs += this.c.hubRecord;
			this.hub.submit(slot % this.hubInputs, this.c.hubRecord, undefined, this.hopMs);
		});
	}

	/** As built: isolate → its shard every 2 s, shard → the staff hub at most every 2 s. */
	private countClaimPerShard(iso: number): void {
		const before = this.counted[iso] as number;
		this.counted[iso] = before + 1;
		if (before > 0) return;
		this.sim.after(2_000, () => {
			this.counted[iso] = 0;
			const s = iso % this.shards;
			this.bill.doRequests += 1;
			this.bill.doActiveMs += this.c.hubRecord;
			this.hub.submit(
				this.hubInputs + s,
				this.c.hubRecord,
				() => {
					const held = this.shardCounted[s] as number;
					this.shardCounted[s] = held + 1;
					if (held > 0) return;
					this.sim.after(2_000, () => {
						this.shardCounted[s] = 0;
						this.bill.doRequests += 1;
						this.bill.doRowsWritten += ROWS.hubRecord;
						this.bill.doActiveMs += this.c.hubRecord;
						this.hub.submit(this.staffHub, this.c.hubRecord, undefined, this.hopMs);
					});
				},
				this.hopMs,
			);
		});
	}

	// --- the hub (durable-objects/dashboard-hub.ts) ----------------------------------------------

	/**
	 * DashboardHub.applyHolds (one hop away): a change it has not seen is broadcast within 75 ms. With
	 * the sharded hub (a fix), listings push to one of `hubInputs` input hubs (by listing), which forward
	 * each batch to every shard; each shard holds its share of the sockets and fans out to them.
	 */
	private hubApply(unit: number): void {
		this.inputRequests += 1;
		this.bill.doRequests += 1;
		this.bill.doRowsWritten += ROWS.hubApplyPerChange;
		this.bill.doActiveMs += this.c.hubApply;
		const input = unit % this.hubInputs;
		this.hub.submit(
			input,
			this.c.hubApply,
			() => {
				// The queue path brings the same version again: the hub keeps the higher one, sends nothing.
				if (this.hubSeen[unit]) return;
				this.hubSeen[unit] = 1;
				this.addHubChanges(input, 1, this.shards > 1 ? BROADCAST_DELAY_MS : this.cadence());
			},
			this.hopMs,
		);
	}

	/**
	 * The orders consumer's push (queue-consumers/orders.ts): ONE applyHolds per input its batch touches
	 * (durable-objects/feed-push.ts), carrying that input's changes: a request's cost plus a write for
	 * each further change. (Per unit, it would be a request per grant a second time over.)
	 */
	private hubApplyBatch(batch: readonly number[]): void {
		const byInput = new Map<number, number[]>();
		for (const unit of batch) {
			const input = unit % this.hubInputs;
			const units = byInput.get(input) ?? [];
			units.push(unit);
			byInput.set(input, units);
		}
		for (const [input, units] of byInput) {
			this.inputRequests += 1;
			const cost = this.c.hubApply + (units.length - 1) * this.c.hubApplyPerChange;
			this.bill.doRequests += 1;
			this.bill.doRowsWritten += ROWS.hubApplyPerChange * units.length;
			this.bill.doActiveMs += cost;
			this.hub.submit(
				input,
				cost,
				() => {
					let fresh = 0;
					for (const unit of units) {
						if (this.hubSeen[unit]) continue;
						this.hubSeen[unit] = 1;
						fresh += 1;
					}
					if (fresh > 0) this.addHubChanges(input, fresh, this.shards > 1 ? BROADCAST_DELAY_MS : this.cadence());
				},
				this.hopMs,
			);
		}
	}

	/** How often a hub that holds sockets sends them frames: 75 ms, or 1 s when coalesced (a fix). */
	private cadence(): number {
		return this.fx.hubCoalesce ? 1000 : BROADCAST_DELAY_MS;
	}

	private addHubChanges(h: number, n: number, delay: number): void {
		this.hubPending[h] = (this.hubPending[h] as number) + n;
		if (this.hubTimer[h]) return;
		this.hubTimer[h] = 1;
		this.sim.after(delay, () => this.broadcast(h));
	}

	/** Every changed listing to every socket of hub `h`, or (an input hub) to every shard. */
	private broadcast(h: number): void {
		this.hubTimer[h] = 0;
		const changed = this.hubPending[h] as number;
		this.hubPending[h] = 0;
		if (changed === 0) return;
		if (this.shards > 1 && h < this.hubInputs) {
			this.hub.submit(h, 0.05 * this.shards);
			for (let s = 0; s < this.shards; s++) {
				const shard = this.hubInputs + s;
				this.bill.doRequests += 1;
				this.bill.doActiveMs += this.c.hubApply;
				this.hub.submit(shard, this.c.hubApply, () => this.addHubChanges(shard, changed, this.cadence()), this.hopMs);
			}
			if (this.staffHub >= 0) {
				// The staff hub subscribes like a shard; its few staff sockets cost nothing here.
				this.bill.doRequests += 1;
				this.bill.doActiveMs += this.c.hubApply;
				this.hub.submit(this.staffHub, this.c.hubApply, undefined, this.hopMs);
			}
			return;
		}
		const socketsHere = Math.ceil(this.sockets / this.shards);
		const frames = this.fx.hubCoalesce ? socketsHere : changed * socketsHere;
		if (frames === 0) return;
		this.framesTotal += frames;
		// A coalesced frame carries every change: a little more to serialise once, the same per socket.
		const cost = frames * this.c.hubSendPerSocketFrame + (this.fx.hubCoalesce ? changed * 0.01 : 0);
		this.bill.doActiveMs += cost;
		this.hub.submit(h, cost);
	}

	// --- orders queue → consumer → D1 (queue-consumers/orders.ts) --------------------------------

	private enqueueOrder(unit: number): void {
		this.queueMsgs.add(this.sim.now);
		this.ordersMsgs.add(this.sim.now);
		this.bill.queueOperations += 3;
		this.queue.push(unit);
		if (this.queue.length >= this.p.queueBatchSize) this.deliver();
		else this.armQueueTimer();
	}

	/** A partial batch goes when max_batch_timeout has passed. */
	private armQueueTimer(): void {
		if (this.queueTimer) return;
		this.queueTimer = true;
		this.sim.after(this.p.queueBatchTimeoutMs, () => {
			this.queueTimer = false;
			this.deliver();
		});
	}

	private deliver(): void {
		while (this.queue.length > 0 && this.consumersRunning < this.p.consumerConcurrency) {
			const batch = this.queue.splice(0, this.p.queueBatchSize);
			this.consumersRunning += 1;
			this.bill.workerRequests += 1;
			const slot = this.consumerSlot++ % this.p.consumerConcurrency;
			const cpu = batch.length * this.c.consumerPerMsg;
			this.bill.workerCpuMs += cpu;
			this.consumers.submit(slot, cpu, () =>
				this.d1Query(
					"orders upsert",
					this.c.d1WriteBase + batch.length * this.c.d1WritePerRow,
					batch.length,
					batch.length * ROWS.d1OrderPerRow,
					() => {
						for (const unit of batch) {
							this.d1At[unit] = this.sim.now;
							this.d1Recorded.push({ t: this.sim.now, unit });
						}
						this.openListCache.clear();
						this.hubApplyBatch(batch);
						this.notifications(batch.length);
						if (this.crowd.ledger && this.fx.batchLedger) {
							this.bill.doRequests += 1;
							this.bill.doRowsWritten += ROWS.ledgerPerEntry * batch.length;
							const cost = this.c.ledgerAppend + 0.05 * batch.length;
							this.bill.doActiveMs += cost;
							this.ledger.submit(0, cost, undefined, this.hopMs);
						}
						for (const unit of new Set(batch)) {
							this.bill.doRequests += 1;
							this.bill.doRowsWritten += ROWS.listingAck;
							this.onListing(unit, this.c.listingAck, undefined, this.hopMs);
						}
						this.consumersRunning -= 1;
						if (this.queue.length >= this.p.queueBatchSize) this.deliver();
						else if (this.queue.length > 0) this.armQueueTimer();
					},
				),
			);
		}
	}

	private notifications(n: number): void {
		this.queueMsgs.add(this.sim.now, n);
		this.notificationMsgs.add(this.sim.now, n);
		this.bill.queueOperations += 3 * n;
		if (this.p.name === "local") {
			// Lumped: phase 3's grant cost beyond the steps the model names (queue, consumer, D1 rows).
			this.consumers.submit(0, n * this.c.notificationsPerGrant);
			return;
		}
		this.notifQueue += n;
		const drain = () => {
			const batch = Math.min(this.notifQueue, this.p.notificationsBatchSize);
			if (batch === 0) return;
			this.notifQueue -= batch;
			this.bill.workerRequests += 1;
			this.d1Query(
				"notifications",
				this.c.d1WriteBase + batch * this.c.d1WritePerRow,
				batch,
				batch * ROWS.d1NotificationPerRow,
			);
		};
		if (this.notifQueue >= this.p.notificationsBatchSize) drain();
		else if (!this.notifTimer) {
			this.notifTimer = true;
			this.sim.after(this.p.notificationsBatchTimeoutMs, () => {
				this.notifTimer = false;
				drain();
			});
		}
	}

	/** One D1 query (or batch), one hop away; `done` runs back at the caller. */
	private d1Query(kind: string, cost: number, rowsRead: number, rowsWritten: number, done?: () => void): void {
		this.d1Queries.add(this.sim.now + this.hopMs);
		this.d1ByKind.set(kind, (this.d1ByKind.get(kind) ?? 0) + 1);
		let perSecond = this.d1KindPerSecond.get(kind);
		if (!perSecond) {
			perSecond = new PerSecond();
			this.d1KindPerSecond.set(kind, perSecond);
		}
		perSecond.add(this.sim.now + this.hopMs, cost);
		this.bill.d1RowsRead += rowsRead;
		this.bill.d1RowsWritten += rowsWritten;
		this.d1.submit(0, cost, done, this.hopMs, this.hopMs);
	}

	// --- the listing board (worker/hot-reads/catalogue.ts) ---------------------------------------

	private board(iso: number, respond: (code: Code, open?: number[]) => void, delay: number): void {
		this.edge(
			iso,
			this.c.edgeBoard,
			() => {
				const key = this.fx.boardPerColo ? iso % this.p.colos : iso;
				let copy = this.availability[key] ?? null;
				if (this.fx.boardPerColo) {
					// Warmed before the opening, and reloaded by one request at a time while everyone
					// else gets the previous copy, however old (no herd on a cold or stale key).
					if (!copy) {
						copy = { snapshotAt: 0, loadedAt: 0, reloading: false };
						this.availability[key] = copy;
					}
					if (this.sim.now >= copy.loadedAt + AVAILABILITY_TTL_MS && !copy.reloading) {
						copy.reloading = true;
						this.reloadAvailability(key);
					}
					respond("ok", this.openAt(copy.snapshotAt));
					return;
				}
				const now = this.sim.now;
				const answer = (a: Availability) => respond("ok", this.openAt(a.snapshotAt));
				const fresh = copy !== null && now < copy.loadedAt + AVAILABILITY_TTL_MS;
				const servable = copy !== null && now < copy.loadedAt + AVAILABILITY_TTL_MS + AVAILABILITY_GRACE_MS;
				if (copy && (fresh || servable)) {
					// Past its TTL, one caller reloads while everyone gets the previous copy (lib/ttl-cache.ts).
					if (!fresh && !copy.reloading) {
						copy.reloading = true;
						this.reloadAvailability(key);
					}
					answer(copy);
					return;
				}
				// No copy, or one too old to serve: this request loads its own.
				this.reloadAvailability(key, (a) => answer(a));
			},
			delay,
		);
	}

	private reloadAvailability(key: number, then?: (a: Availability) => void): void {
		const rows = this.crowd.units + this.grants;
		this.d1Query("availability", this.c.d1ReadBase + rows * this.c.d1ReadPerRow, rows, 0, () => {
			const a: Availability = { snapshotAt: this.sim.now, loadedAt: this.sim.now, reloading: false };
			this.availability[key] = a;
			then?.(a);
		});
	}

	/** Units D1 did not yet show taken at `t`, cached per 100 ms of snapshot time. */
	private openAt(t: number): number[] {
		const q = Math.floor(t / 100);
		const cached = this.openListCache.get(q);
		if (cached) return cached;
		const open: number[] = [];
		for (let u = 0; u < this.crowd.units; u++) if ((this.d1At[u] as number) > q * 100) open.push(u);
		if (this.openListCache.size > 2000) this.openListCache.clear();
		this.openListCache.set(q, open);
		return open;
	}

	// --- background ------------------------------------------------------------------------------

	private startBackground(): void {
		// Each location with traffic reloads the event and the catalogue once a second (Cache API, 1 s).
		const tick = () => {
			if (this.active === 0) return;
			const now = this.sim.now;
			for (let colo = 0; colo < this.p.colos; colo++) {
				if ((this.colosActive[colo] as number) < now - 1000) continue;
				this.d1Query("event", this.c.d1ReadBase, 1, 0);
				this.d1Query("catalogue", this.c.d1ReadBase + this.crowd.units * this.c.d1ReadPerRow, this.crowd.units, 0);
			}
			this.sim.after(1000, tick);
		};
		this.sim.after(1000, tick);
		const stall = this.p.stall;
		if (stall && this.thread) this.thread.setStalls(stall.ms, stall.fraction);
	}

	// --- the result ------------------------------------------------------------------------------

	/**
	 * Each single-threaded thing against its limit, second by second: a Durable Object past ~1,000
	 * requests/s or past 1,000 ms of work in a second (its queue then only grows), D1 past 1,000 ms of
	 * work in a second, a queue past 5,000 messages/s, a hub past the sockets one object holds.
	 */
	private limits(): LimitReport[] {
		const out: LimitReport[] = [];
		const soft = this.p.objectSoftLimit;
		const firstOver = (series: { at(s: number): number; seconds: number }, limit: number): number | null => {
			for (let sec = 0; sec < series.seconds; sec++) if (series.at(sec) > limit) return sec;
			return null;
		};
		const eachObject = (stats: PoolStats, what: string) => {
			let peakReq = 0;
			let firstReq: number | null = null;
			for (const [, ps] of stats.perObject ?? []) {
				peakReq = Math.max(peakReq, ps.peak);
				const f = firstOver(ps, soft);
				if (f !== null && (firstReq === null || f < firstReq)) firstReq = f;
			}
			let peakBusy = 0;
			let firstBusy: number | null = null;
			for (const [, ps] of stats.perObjectBusy ?? []) {
				peakBusy = Math.max(peakBusy, ps.peak);
				const f = firstOver(ps, 1000);
				if (f !== null && (firstBusy === null || f < firstBusy)) firstBusy = f;
			}
			out.push({ what: `${what}: requests/s`, limit: soft, unit: "req/s", peak: peakReq, firstOverS: firstReq });
			out.push({
				what: `${what}: work offered ms/s`,
				limit: 1000,
				unit: "ms/s",
				peak: peakBusy,
				firstOverS: firstBusy,
			});
		};
		if (this.p.name === "cloudflare") {
			eachObject(this.listings.stats, "hottest listing object");
			eachObject(this.hub.stats, "hub (busiest)");
			const single = (stats: PoolStats, what: string, reqLimit: number | null) => {
				if (reqLimit !== null) {
					out.push({
						what: `${what}: requests/s`,
						limit: reqLimit,
						unit: "req/s",
						peak: stats.arrivals.peak,
						firstOverS: firstOver(stats.arrivals, reqLimit),
					});
				}
				out.push({
					what: `${what}: work offered ms/s`,
					limit: 1000,
					unit: "ms/s",
					peak: stats.offered.peak,
					firstOverS: firstOver(stats.offered, 1000),
				});
			};
			single(this.ledger.stats, "ledger", soft);
			single(this.d1.stats, "D1", null);
			for (const [what, series] of [
				["orders queue: messages/s", this.ordersMsgs],
				["notifications queue: messages/s", this.notificationMsgs],
			] as const) {
				out.push({
					what,
					limit: this.p.queueLimitPerS,
					unit: "msg/s",
					peak: series.peak,
					firstOverS: firstOver(series, this.p.queueLimitPerS),
				});
			}
			const perShard = Math.ceil(this.sockets / this.shards);
			out.push({
				what: "hub: sockets per object",
				limit: this.p.hubSocketsLimit,
				unit: "sockets",
				peak: perShard,
				firstOverS: perShard > this.p.hubSocketsLimit ? 0 : null,
			});
		}
		return out;
	}

	private result(): OpeningResult {
		const all = new Latencies().merge(this.lat.token, this.lat.claim, this.lat.board, this.lat.health);
		const summary = (l: Latencies) => ({ ...l.summary(), count: l.count });
		const durationS = this.lastAnswerAt / 1000;
		const requests = all.count;
		const listingStats = this.listings.stats;
		const hot = listingStats.hottest();
		const hotTimes = this.listings.times.get(hot.id) ?? [];
		const hubStats = this.hub.stats;
		return {
			name: "",
			platform: this.p.name,
			isolates: this.p.isolates,
			buyers: this.crowd.buyers,
			units: this.crowd.units,
			durationS,
			events: this.sim.events,
			requests,
			throughput: durationS > 0 ? requests / durationS : 0,
			latency: {
				all: summary(all),
				token: summary(this.lat.token),
				claim: summary(this.lat.claim),
				board: summary(this.lat.board),
				health: summary(this.lat.health),
			},
			outcomes: Object.fromEntries(this.outcomes),
			buyerOutcomes: Object.fromEntries(this.buyerOutcomes),
			grants: this.grants,
			lastGrantS: this.lastGrantAt / 1000,
			retries: this.retries,
			paths: { ...this.paths },
			stallSeconds: (this.thread?.stallMs ?? 0) / 1000,
			coldStarts: this.coldStarts,
			hottestListing: {
				unit: hot.id,
				peakPerS: hot.peak,
				firstSecond: listingStats.firstSecondOf(hot.id, hotTimes),
				maxWaitMs: listingStats.maxWaitMs,
			},
			objects: {
				isolates: report(this.isolates.stats),
				buyers: report(this.buyerObjects.stats),
				listings: report(listingStats),
				hub: report(hubStats),
				ledger: report(this.ledger.stats),
				d1: report(this.d1.stats),
				consumer: report(this.consumers.stats),
			},
			thread: this.thread ? report(this.thread.stats) : null,
			queueMsgs: { peakPerS: this.queueMsgs.peak, total: this.queueMsgs.total },
			d1Queries: {
				peakPerS: this.d1Queries.peak,
				total: this.d1Queries.total,
				byKind: Object.fromEntries(this.d1ByKind),
				worstSecondByKind: Object.fromEntries(
					[...this.d1KindPerSecond].map(([k, ps]) => [k, ps.at(this.d1.stats.offered.peakSecond)]),
				),
			},
			hub: {
				sockets: this.sockets,
				shards: this.shards,
				socketsPerShard: Math.ceil(this.sockets / this.shards),
				framesTotal: this.framesTotal,
				busiestShardPeakMsPerS: hubStats.busiestObjectMsPerS(),
				inputRequests: this.inputRequests,
			},
			limits: this.limits(),
			bill: {
				workerRequests: this.bill.workerRequests,
				workerCpuMs: this.bill.workerCpuMs,
				doRequests: this.bill.doRequests,
				doActiveSeconds: this.bill.doActiveMs / 1000,
				doRowsWritten: this.bill.doRowsWritten,
				doRowsRead: this.bill.doRowsRead,
				queueOperations: this.bill.queueOperations,
				d1RowsRead: this.bill.d1RowsRead,
				d1RowsWritten: this.bill.d1RowsWritten,
			},
		};
	}
}
