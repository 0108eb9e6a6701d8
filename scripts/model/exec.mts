// Where work runs. On Cloudflare every Durable Object, every isolate and the D1 database is its own
// single thread; under Miniflare on this machine one workerd thread runs all of them. A Pool is a set
// of threads addressed by id (one per buyer object, one per listing object, ...); on the local
// platform every pool submits to the same SharedThread, so the same Kaipan code paths load one thread.
import { PerSecond, type Sim } from "./sim.mts";

export interface Exec {
	/**
	 * Runs a job of `costMs` on the thread of object `id`, arriving `delay` ms from now (a network hop;
	 * hops of one kind take the same time, so jobs still reach each object in the order sent); `done`
	 * runs `returnDelay` ms after the job has finished (the answer's hop back). Returns when the job
	 * will finish, when that is known now (Infinity where it is not: the shared thread).
	 */
	submit(id: number, costMs: number, done?: () => void, delay?: number, returnDelay?: number): number;
	/** How long a job arriving now at object `id` would wait. */
	backlogMs(id: number): number;
	readonly stats: PoolStats;
}

/** What a class of objects saw: arrivals and busy time per second, worst wait, per-object peaks. */
export class PoolStats {
	readonly arrivals = new PerSecond();
	readonly busy = new PerSecond();
	/**
	 * Work offered per second: each job's cost in the second it arrived. A single thread can do 1,000
	 * ms of work in a second; offered above that, its queue grows (busy time never shows it: a saturated
	 * thread is busy exactly 1,000 ms every second).
	 */
	readonly offered = new PerSecond();
	maxWaitMs = 0;
	jobs = 0;
	busyMs = 0;
	/** Arrivals per object per second, for pools whose hottest member matters (listings, the hub). */
	readonly perObject: Map<number, PerSecond> | null;
	/** Work offered per object per second (the same pools). */
	readonly perObjectBusy: Map<number, PerSecond> | null;
	/** First arrival per object (for "the hottest listing object in its first second"). */
	readonly firstArrival: Map<number, number> | null;
	readonly name: string;

	constructor(name: string, trackEach: boolean) {
		this.name = name;
		this.perObject = trackEach ? new Map() : null;
		this.perObjectBusy = trackEach ? new Map() : null;
		this.firstArrival = trackEach ? new Map() : null;
	}

	record(now: number, id: number, start: number, costMs: number): void {
		this.arrivals.add(now);
		this.busy.add(start, costMs);
		this.offered.add(now, costMs);
		this.jobs += 1;
		this.busyMs += costMs;
		const wait = start - now;
		if (wait > this.maxWaitMs) this.maxWaitMs = wait;
		if (this.perObject) {
			let ps = this.perObject.get(id);
			if (!ps) {
				ps = new PerSecond();
				this.perObject.set(id, ps);
				this.firstArrival?.set(id, now);
			}
			ps.add(now);
			let busy = this.perObjectBusy?.get(id);
			if (!busy) {
				busy = new PerSecond();
				this.perObjectBusy?.set(id, busy);
			}
			busy.add(now, costMs);
		}
	}

	/** The most work any one object was offered in any one second (ms). */
	busiestObjectMsPerS(): number {
		let max = 0;
		for (const [, ps] of this.perObjectBusy ?? []) max = Math.max(max, ps.peak);
		return max;
	}

	/** The object with the most arrivals in any one second: [id, that peak, its second]. */
	hottest(): { id: number; peak: number; second: number } {
		let best = { id: -1, peak: 0, second: 0 };
		for (const [id, ps] of this.perObject ?? []) {
			const peak = ps.peak;
			if (peak > best.peak) best = { id, peak, second: ps.peakSecond };
		}
		return best;
	}

	/**
	 * Requests that reached the hottest object within the first 1,000 ms after its first request
	 * (its first second as the object sees it, not the wall clock's).
	 */
	firstSecondOf(id: number, times: readonly number[]): number {
		const first = this.firstArrival?.get(id);
		if (first === undefined) return 0;
		let n = 0;
		for (const t of times) if (t >= first && t < first + 1000) n += 1;
		return n;
	}
}

/** One thread per object id (Durable Objects, isolates, the D1 database). */
export class Pool implements Exec {
	/** When each object's thread is next free; objects are numbered 0 … size − 1. */
	private readonly busyUntil: Float64Array;
	private readonly sim: Sim;
	private readonly keepTimes: boolean;
	readonly stats: PoolStats;
	/** Arrival times per object, kept only when `keepTimes` (the listings: their first second). */
	readonly times = new Map<number, number[]>();

	constructor(sim: Sim, name: string, size: number, trackEach = false, keepTimes = false) {
		this.sim = sim;
		this.busyUntil = new Float64Array(size);
		this.keepTimes = keepTimes;
		this.stats = new PoolStats(name, trackEach);
	}

	submit(id: number, costMs: number, done?: () => void, delay = 0, returnDelay = 0): number {
		const now = this.sim.now + delay;
		const free = this.busyUntil[id] as number;
		const start = Math.max(free, now);
		const end = start + costMs;
		this.busyUntil[id] = end;
		this.stats.record(now, id, start, costMs);
		if (this.keepTimes) {
			let list = this.times.get(id);
			if (!list) {
				list = [];
				this.times.set(id, list);
			}
			list.push(now);
		}
		if (done) this.sim.at(end + returnDelay, done);
		return end;
	}

	backlogMs(id: number): number {
		return Math.max(0, (this.busyUntil[id] as number) - this.sim.now);
	}
}

/**
 * The one workerd thread of the local runtime. Its event loop finishes what a request started before
 * it takes up a new request: an RPC to an object in the same process, and its answer, resolve as
 * microtasks of the running task, and only real I/O (a SQLite commit, a timer, D1) lets other work
 * in. So pending jobs run by the start time of the request they belong to (`current`, inherited by
 * every job a job's completion submits), not by when each step was queued; a runtime pause (GC) takes
 * the thread as soon as the running job ends. Not preemptive: a job, once started, runs to its end.
 */
export class SharedThread {
	private running = false;
	private readonly prios: number[] = [];
	private readonly seqs: number[] = [];
	private readonly jobs: { cost: number; done: (() => void) | undefined; prio: number; queuedAt: number }[] = [];
	private seq = 0;
	/** The priority new jobs inherit: the start time of the request whose step is running; null: now. */
	current: number | null = null;
	readonly stats = new PoolStats("workerd thread", false);
	private backlog = 0;
	/** The runtime's pauses: one of `ms` after every `everyWorkMs` of work (allocation-driven, like GC). */
	private stall: { ms: number; everyWorkMs: number } | null = null;
	private workSinceStall = 0;
	stallMs = 0;
	private readonly sim: Sim;

	constructor(sim: Sim) {
		this.sim = sim;
	}

	/** Pauses of `ms` taking `fraction` of the thread's time, one after each (ms × (1 − f) / f) of work. */
	setStalls(ms: number, fraction: number): void {
		this.stall = fraction > 0 && ms > 0 ? { ms, everyWorkMs: (ms * (1 - fraction)) / fraction } : null;
	}

	submit(costMs: number, done?: () => void, priority?: number): { start: number } {
		const prio = priority ?? this.current ?? this.sim.now;
		this.push(prio, { cost: costMs, done, prio, queuedAt: this.sim.now });
		this.backlog += costMs;
		if (!this.running) this.next();
		return { start: this.sim.now + this.backlog - costMs };
	}

	private next(): void {
		if (this.jobs.length === 0) {
			this.running = false;
			return;
		}
		this.running = true;
		const job = this.pop();
		const now = this.sim.now;
		this.stats.record(job.queuedAt, 0, now, job.cost);
		let cost = job.cost;
		if (this.stall) {
			this.workSinceStall += job.cost;
			if (this.workSinceStall >= this.stall.everyWorkMs) {
				// The pause lands at the end of the job that crossed the threshold.
				this.workSinceStall -= this.stall.everyWorkMs;
				cost += this.stall.ms;
				this.stallMs += this.stall.ms;
			}
		}
		this.sim.at(now + cost, () => {
			this.backlog -= job.cost;
			const saved = this.current;
			this.current = job.prio;
			job.done?.();
			this.current = saved;
			this.next();
		});
	}

	backlogMs(): number {
		return this.backlog;
	}

	private push(prio: number, job: (typeof this.jobs)[number]): void {
		const p = this.prios;
		const s = this.seqs;
		const j = this.jobs;
		const seq = this.seq++;
		let i = j.length;
		p.push(prio);
		s.push(seq);
		j.push(job);
		while (i > 0) {
			const parent = (i - 1) >> 1;
			const pp = p[parent] as number;
			if (pp < prio || (pp === prio && (s[parent] as number) < seq)) break;
			p[i] = pp;
			s[i] = s[parent] as number;
			j[i] = j[parent] as (typeof this.jobs)[number];
			i = parent;
		}
		p[i] = prio;
		s[i] = seq;
		j[i] = job;
	}

	private pop(): (typeof this.jobs)[number] {
		const p = this.prios;
		const s = this.seqs;
		const j = this.jobs;
		const top = j[0] as (typeof this.jobs)[number];
		const lastP = p.pop() as number;
		const lastS = s.pop() as number;
		const lastJ = j.pop() as (typeof this.jobs)[number];
		const n = j.length;
		if (n > 0) {
			let i = 0;
			for (;;) {
				const l = 2 * i + 1;
				if (l >= n) break;
				const r = l + 1;
				let c = l;
				if (r < n) {
					const lp = p[l] as number;
					const rp = p[r] as number;
					if (rp < lp || (rp === lp && (s[r] as number) < (s[l] as number))) c = r;
				}
				const cp = p[c] as number;
				if (cp > lastP || (cp === lastP && (s[c] as number) > lastS)) break;
				p[i] = cp;
				s[i] = s[c] as number;
				j[i] = j[c] as (typeof this.jobs)[number];
				i = c;
			}
			p[i] = lastP;
			s[i] = lastS;
			j[i] = lastJ;
		}
		return top;
	}
}

/** A pool whose objects all run on the shared thread (the local platform), counted per class. */
export class SharedPool implements Exec {
	readonly stats: PoolStats;
	readonly times = new Map<number, number[]>();
	private readonly sim: Sim;
	private readonly thread: SharedThread;
	private readonly keepTimes: boolean;

	constructor(sim: Sim, thread: SharedThread, name: string, trackEach = false, keepTimes = false) {
		this.sim = sim;
		this.thread = thread;
		this.keepTimes = keepTimes;
		this.stats = new PoolStats(name, trackEach);
	}

	/** The local platform has no network: `delay` and `returnDelay` are always 0 here. */
	submit(id: number, costMs: number, done?: () => void): number {
		const { start } = this.thread.submit(costMs, done);
		this.stats.record(this.sim.now, id, Math.max(this.sim.now, start), costMs);
		if (this.keepTimes) {
			let list = this.times.get(id);
			if (!list) {
				list = [];
				this.times.set(id, list);
			}
			list.push(this.sim.now);
		}
		return Number.POSITIVE_INFINITY;
	}

	backlogMs(): number {
		return this.thread.backlogMs();
	}
}
