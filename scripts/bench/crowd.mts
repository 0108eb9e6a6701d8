// A realistic opening-minute crowd, shared by `npm run simulate` and the benchmark's mixed phase.
// Every buyer is a KaipanClient (purchase token, signed claims) and behaves like a person:
//   - wants one to three units, drawn with a Zipf-like skew toward the best ones (most want the same few);
//   - some (multiTab) click two of their units at the same instant from two tabs;
//   - after "sold out" tries their next choice; having run out of choices, looks at the listing board
//     (at most twice) and tries units it shows as available;
//   - retries 429/503 after Retry-After with jitter (bounded), stops on a hold or limit_reached.
import type { Buyer } from "./buyers.mts";
import { retryAfterMs } from "./buyers.mts";
import type { Grant } from "./guarantees.mts";
import { Semaphore } from "./load.mts";
import { mulberry32, zipfSampler } from "./random.mts";

export { mulberry32, zipfSampler };

export interface CrowdOptions {
	eventId: string;
	buyers: readonly Buyer[];
	/** The catalogue, for the buyers' preferences (best first: the skew is over this order). */
	listings: readonly Unit[];
	/** Zipf exponent: 0 is uniform; ~1 has the top few units wanted by a large share of the crowd. */
	skew?: number;
	/** Share of buyers who click two units at once. */
	multiTabShare?: number;
	/** Seed for the crowd's choices, so runs are comparable. */
	seed?: number;
	/** No new request starts after this (performance.now()). */
	deadline: number;
	/**
	 * Buyers acting at once (one action: a purchase token and a signed claim, or a look at the board).
	 * A buyer signs only once it may send, so a crowd larger than the connections queues here, not
	 * with a signed request whose timestamp goes stale while it waits.
	 */
	concurrency: number;
}

export interface CrowdResult {
	grants: Map<string, Grant>;
	/** performance.now() of the last 201. */
	lastGrantAt: number;
	/** Final state of each buyer. */
	outcomes: Map<string, number>;
	/** Claim requests that had to be retried after a 429/503. */
	retries: number;
}

const MAX_TRIES_PER_UNIT = 6;
const BOARD_LOOKS = 2;
const TRIES_PER_LOOK = 3;

/** What the crowd needs to know of a listing. */
export interface Unit {
	id: string;
	priceCents: number;
}

/** Listings, best first: higher price is a better floor or an end unit in the demo data. */
export function bestFirst<T extends Unit>(listings: readonly T[]): T[] {
	return [...listings].sort((a, b) => b.priceCents - a.priceCents || a.id.localeCompare(b.id));
}

export async function runCrowd(options: CrowdOptions): Promise<CrowdResult> {
	const random = mulberry32(options.seed ?? 42);
	const ranked = bestFirst(options.listings).map((l) => l.id);
	const pick = zipfSampler(ranked.length, options.skew ?? 1.1, random);
	const grants = new Map<string, Grant>();
	const outcomes = new Map<string, number>();
	let lastGrantAt = 0;
	let retries = 0;
	const note = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
	const slots = new Semaphore(options.concurrency);
	const acting = async <T,>(action: () => Promise<T>): Promise<T> => {
		await slots.acquire();
		try {
			return await action();
		} finally {
			slots.release();
		}
	};

	type Attempt = "won" | "sold_out" | "limit_reached" | "gave_up";
	const attempt = async (buyer: Buyer, listingId: string): Promise<Attempt> => {
		for (let tryNo = 1; tryNo <= MAX_TRIES_PER_UNIT; tryNo++) {
			if (performance.now() > options.deadline) return "gave_up";
			try {
				const hold = await acting(() => buyer.client.claim(listingId));
				if (hold.created) {
					grants.set(hold.holdId, { holdId: hold.holdId, listingId, buyerId: buyer.id });
					lastGrantAt = performance.now();
				}
				return "won";
			} catch (err) {
				const code = (err as { code?: unknown }).code;
				if (code === "sold_out" || code === "limit_reached") return code;
				const wait = retryAfterMs(err, tryNo);
				if (wait === null) return "gave_up";
				retries += 1;
				await new Promise((r) => setTimeout(r, wait));
			}
		}
		return "gave_up";
	};

	const oneBuyer = async (buyer: Buyer) => {
		const wants = new Set<string>();
		const howMany = 1 + Math.floor(random() * 3);
		for (let i = 0; i < howMany * 4 && wants.size < howMany; i++) wants.add(ranked[pick()] ?? "");
		const choices = [...wants];
		const multiTab = choices.length >= 2 && random() < (options.multiTabShare ?? 0.05);
		let result: Attempt = "sold_out";
		if (multiTab) {
			// Two tabs, two units, the same instant: the limit must hold across both.
			const both = await Promise.all([attempt(buyer, choices[0] ?? ""), attempt(buyer, choices[1] ?? "")]);
			result = both.includes("won") ? "won" : both.includes("limit_reached") ? "limit_reached" : "sold_out";
			choices.splice(0, 2);
		}
		for (const listingId of choices) {
			if (result !== "sold_out") break;
			result = await attempt(buyer, listingId);
		}
		for (let look = 0; look < BOARD_LOOKS && result === "sold_out"; look++) {
			if (performance.now() > options.deadline) break;
			const board = await acting(() => buyer.client.getListings(options.eventId)).catch(() => null);
			const open = board?.listings.filter((l) => l.available > 0) ?? [];
			if (open.length === 0) break;
			for (let t = 0; t < TRIES_PER_LOOK && result === "sold_out"; t++) {
				const unit = open[Math.floor(random() * open.length)];
				if (unit) result = await attempt(buyer, unit.id);
			}
		}
		note(result === "sold_out" ? "went home empty-handed" : result === "won" ? "holds a unit" : result);
	};

	await Promise.all(options.buyers.map(oneBuyer));
	return { grants, lastGrantAt, outcomes, retries };
}
