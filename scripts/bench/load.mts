// The load generator shared by the benchmark and the simulator: an undici connection pool with a fixed
// number of keep-alive connections (so "50 connections" means what it says), per-request latency
// from send to the last byte of the answer, and outcomes counted by HTTP status and error code.
import { Agent, Pool, fetch as undiciFetch } from "undici";

export interface HttpRequest {
	method: string;
	path: string;
	headers?: Record<string, string>;
	body?: string;
}

export interface HttpAnswer {
	status: number;
	/** The API error code, or the status for a success ("201"). */
	code: string;
	body: Record<string, unknown> | null;
	ms: number;
}

/** Latencies and outcomes of one phase (or one kind of request within it). */
export class Tally {
	readonly latencies: number[] = [];
	readonly outcomes = new Map<string, number>();

	add(status: number, code: string, ms: number): void {
		this.latencies.push(ms);
		const key = status >= 200 && status < 300 ? String(status) : `${status} ${code}`;
		this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
	}

	/** Adds every sample of `others` to this tally. */
	merge(...others: Tally[]): this {
		for (const other of others) {
			for (const ms of other.latencies) this.latencies.push(ms);
			for (const [k, n] of other.outcomes) this.outcomes.set(k, (this.outcomes.get(k) ?? 0) + n);
		}
		return this;
	}

	get count(): number {
		return this.latencies.length;
	}

	/** Requests that were not answered 2xx, and not with an expected refusal listed in `expected`. */
	errors(expected: readonly string[] = []): number {
		let n = 0;
		for (const [key, count] of this.outcomes) if (!/^2/.test(key) && !expected.includes(key)) n += count;
		return n;
	}

	summary(): LatencySummary {
		const sorted = Float64Array.from(this.latencies).sort();
		const at = (q: number) =>
			sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
		return { p50: at(0.5), p99: at(0.99), max: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0) };
	}

	outcomeText(): string {
		return [...this.outcomes]
			.sort((a, b) => b[1] - a[1])
			.map(([k, n]) => `${k}: ${n}`)
			.join(", ");
	}
}

export interface LatencySummary {
	p50: number;
	p99: number;
	max: number;
}

/** A raw pooled client: the cheapest way for Node to send a request (used for the measured phases). */
export class HttpPool {
	private readonly pool: Pool;

	constructor(origin: string, connections: number) {
		this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
	}

	async send(req: HttpRequest, tally?: Tally): Promise<HttpAnswer> {
		const t0 = performance.now();
		const res = await this.pool.request({
			method: req.method as "GET" | "POST" | "PUT",
			path: req.path,
			headers: req.headers,
			body: req.body,
		});
		const text = await res.body.text();
		const ms = performance.now() - t0;
		const body = parseBody(text);
		const code = res.statusCode < 300 ? String(res.statusCode) : errorCodeOf(body, res.statusCode);
		tally?.add(res.statusCode, code, ms);
		return { status: res.statusCode, code, body, ms };
	}

	close(): Promise<void> {
		return this.pool.close();
	}
}

/** At most `permits` holders at a time; the rest wait in order. */
export class Semaphore {
	private waiting: (() => void)[] = [];
	constructor(private permits: number) {}

	async acquire(): Promise<void> {
		if (this.permits > 0) {
			this.permits -= 1;
			return;
		}
		await new Promise<void>((resolve) => this.waiting.push(resolve));
	}

	release(): void {
		const next = this.waiting.shift();
		if (next) next();
		else this.permits += 1;
	}
}

/**
 * A `fetch` for KaipanClient over `connections` keep-alive connections, each request timed from send
 * until its body is read, into the Tally that `tallyFor` picks by path (the bodies are small).
 * Callers keep at most `connections` requests in flight (a crowd takes a Semaphore before a buyer
 * acts, so that a claim is signed only once a connection is free, as a person's device would send
 * it); the semaphore here only guarantees that no request's clock runs while it waits for one.
 */
export function timedFetch(
	connections: number,
	tallyFor: (path: string) => Tally,
): { fetch: typeof fetch; close: () => Promise<void> } {
	const agent = new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000 });
	const slots = new Semaphore(connections);
	const timed = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		const url = String(input);
		await slots.acquire();
		try {
			const t0 = performance.now();
			// undici's fetch is the implementation behind Node's global one; here with our own agent.
			const res = await undiciFetch(url, { ...(init as object), dispatcher: agent });
			const text = await res.text();
			const ms = performance.now() - t0;
			const status = res.status;
			const code = status < 300 ? String(status) : errorCodeOf(parseBody(text), status);
			tallyFor(new URL(url).pathname).add(status, code, ms);
			return new Response(status === 204 ? null : text, {
				status,
				headers: Object.fromEntries(res.headers.entries()),
			});
		} finally {
			slots.release();
		}
	};
	return { fetch: timed as typeof fetch, close: () => agent.close() };
}

function parseBody(text: string): Record<string, unknown> | null {
	if (!text) return null;
	try {
		return JSON.parse(text) as Record<string, unknown>;
	} catch {
		return null;
	}
}

function errorCodeOf(body: Record<string, unknown> | null, status: number): string {
	const error = body?.error as { code?: unknown } | undefined;
	return typeof error?.code === "string" ? error.code : `http_${status}`;
}

/** Runs `task` over `items` with at most `concurrency` at a time; bounded by the items. */
export async function forEachLimited<T>(
	items: readonly T[],
	concurrency: number,
	task: (item: T, index: number) => Promise<void>,
): Promise<void> {
	let next = 0;
	const lane = async () => {
		while (next < items.length) {
			const i = next++;
			await task(items[i] as T, i);
		}
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
