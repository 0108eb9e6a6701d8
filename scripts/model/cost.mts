// What an opening costs at Cloudflare's published prices, from what the model counted in its run
// (OpeningResult.bill) plus what happens before the opening (every buyer's login and live socket).
// Marginal prices only: the monthly allotments of the Workers Paid plan ($5 minimum) are left out,
// as if other traffic had used them, so each line is the most this opening adds to a bill.
import type { OpeningResult } from "./opening.mts";

export const PRICES = {
	workerRequestsPerM: { usd: 0.3, url: "https://developers.cloudflare.com/workers/platform/pricing/" },
	workerCpuPerMMs: { usd: 0.02, url: "https://developers.cloudflare.com/workers/platform/pricing/" },
	doRequestsPerM: { usd: 0.15, url: "https://developers.cloudflare.com/durable-objects/platform/pricing/" },
	doGbSecondsPerM: { usd: 12.5, url: "https://developers.cloudflare.com/durable-objects/platform/pricing/" },
	doRowsReadPerM: { usd: 0.001, url: "https://developers.cloudflare.com/durable-objects/platform/pricing/" },
	doRowsWrittenPerM: { usd: 1.0, url: "https://developers.cloudflare.com/durable-objects/platform/pricing/" },
	queueOpsPerM: { usd: 0.4, url: "https://developers.cloudflare.com/queues/platform/pricing/" },
	d1RowsReadPerM: { usd: 0.001, url: "https://developers.cloudflare.com/d1/platform/pricing/" },
	d1RowsWrittenPerM: { usd: 1.0, url: "https://developers.cloudflare.com/d1/platform/pricing/" },
} as const;

/** A Durable Object is billed for 128 MB while active (pricing page, footnote 5). */
const GB_PER_OBJECT = 0.128;

/** Before the opening, per buyer: a login and a live socket (not simulated; counted here). */
const PER_LOGIN = {
	workerRequests: 1,
	/** This machine's morning measurement of a login: 3.5–3.9 ms (docs/BENCHMARKS.md). */
	workerCpuMs: 3.7,
	doRequests: 1,
	doRowsWritten: 3,
	d1RowsRead: 1,
};
const PER_SOCKET = { workerRequests: 1, doRequests: 1, doRowsWritten: 0 };

export interface CostLine {
	item: string;
	quantity: number;
	unit: string;
	pricePerM: number;
	usd: number;
	url: string;
}

export function openingCost(r: OpeningResult, liveShare = 1): { lines: CostLine[]; total: number } {
	const logins = r.buyers;
	const sockets = Math.round(r.buyers * liveShare);
	const b = r.bill;
	const line = (item: string, quantity: number, unit: string, price: { usd: number; url: string }): CostLine => ({
		item,
		quantity,
		unit,
		pricePerM: price.usd,
		usd: (quantity / 1e6) * price.usd,
		url: price.url,
	});
	const lines = [
		line(
			"Workers requests",
			b.workerRequests + logins * PER_LOGIN.workerRequests + sockets * PER_SOCKET.workerRequests,
			"requests",
			PRICES.workerRequestsPerM,
		),
		line("Workers CPU", b.workerCpuMs + logins * PER_LOGIN.workerCpuMs, "CPU ms", PRICES.workerCpuPerMMs),
		line(
			"Durable Object requests",
			b.doRequests + logins * PER_LOGIN.doRequests + sockets * PER_SOCKET.doRequests,
			"requests",
			PRICES.doRequestsPerM,
		),
		line("Durable Object duration", b.doActiveSeconds * GB_PER_OBJECT, "GB-s", PRICES.doGbSecondsPerM),
		line("Durable Object SQLite rows read", b.doRowsRead, "rows", PRICES.doRowsReadPerM),
		line(
			"Durable Object SQLite rows written",
			b.doRowsWritten + logins * PER_LOGIN.doRowsWritten,
			"rows",
			PRICES.doRowsWrittenPerM,
		),
		line("Queues operations", b.queueOperations, "operations", PRICES.queueOpsPerM),
		line("D1 rows read", b.d1RowsRead + logins * PER_LOGIN.d1RowsRead, "rows", PRICES.d1RowsReadPerM),
		line("D1 rows written", b.d1RowsWritten, "rows", PRICES.d1RowsWrittenPerM),
	];
	return { lines, total: lines.reduce((sum, l) => sum + l.usd, 0) };
}
