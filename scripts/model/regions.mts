// Fairness across regions (docs/SCALE.md "Fairness across regions", docs/FAIRNESS.md "The shuffle
// window"): who wins a hot unit when its listing object sits in one region and the buyers click from
// several. A claim reaches the object at click + access + half the round trip between the buyer's
// region and the object's; in a race the first arrival wins, so a buyer near the object starts ahead of
// a far one by half their round-trip difference. With a shuffle window of W seconds every claim that
// arrives before startsAt + W is collected and the smallest ticket wins (a ticket is SHA-256 of seed
// and buyer id: uniform, independent of region), so inside the window the distance decides nothing.
//
// Round trips: the published AWS inter-region averages ("Latency Between AWS Global Regions", as
// tabled at https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html), from Tokyo —
// the region a hint of `apac-ne` would place the listing objects in — to each buyer region; within
// Tokyo itself 2 ms (AWS's inter-AZ pings are 0.25–3.4 ms: https://www.xkyle.com/Measuring-AWS-Region-and-AZ-Latency/).
// Cloudflare publishes no matrix between its locations; its backbone is taken to be no faster than
// these. Everyone's access latency (device to nearest Cloudflare location) has the same distribution,
// so it changes who is fast, not which region is.
import { mulberry32 } from "../bench/random.mts";

export interface BuyerRegion {
	name: string;
	/** The DurableObjectLocationHint of that region, for the table. */
	hint: string;
	/** Round trip to the listing objects' region (Tokyo), ms. */
	rttMs: number;
	/** Share of the contenders clicking from there. */
	share: number;
}

/** A Chinese opening's overseas buyers: most near the object, the rest in four other regions. */
export const REGIONS: readonly BuyerRegion[] = [
	{ name: "Tokyo (the objects' region)", hint: "apac-ne", rttMs: 2, share: 0.5 },
	{ name: "Seoul", hint: "apac-ne", rttMs: 31.4, share: 0.1 },
	{ name: "Singapore", hint: "apac-se", rttMs: 73.8, share: 0.15 },
	{ name: "Sydney", hint: "oc", rttMs: 103.9, share: 0.05 },
	{ name: "US West (N. California)", hint: "wnam", rttMs: 102.5, share: 0.1 },
	{ name: "Frankfurt", hint: "weur", rttMs: 236.5, share: 0.1 },
];

export interface RegionsOptions {
	/** Buyers whose first click is for the hot unit. */
	contenders: number;
	/** Openings simulated (each one unit, a fresh crowd). */
	trials: number;
	/** The shuffle window, seconds (0: arrival order). */
	shuffleSeconds: number;
	seed: number;
	/** 60 % click within the first second, the rest exponentially (mean 5 s): SCALE.md's people. */
	fastShare?: number;
}

export interface RegionWins {
	region: BuyerRegion;
	/** Share of the wins that went to a buyer there. */
	winShare: number;
	/** winShare ÷ share: 1 is fair, above 1 a head start. */
	advantage: number;
	/** Half the round trip: how much later than a Tokyo buyer's claim the same click arrives, ms. */
	headStartLostMs: number;
}

/** Who wins a hot unit, by region, over `trials` openings. */
export function regionWins(o: RegionsOptions): RegionWins[] {
	const random = mulberry32(o.seed);
	const fast = o.fastShare ?? 0.6;
	const cumulative: number[] = [];
	let acc = 0;
	for (const r of REGIONS) {
		acc += r.share;
		cumulative.push(acc);
	}
	const wins = new Array<number>(REGIONS.length).fill(0);
	const windowEnd = o.shuffleSeconds * 1000;
	for (let t = 0; t < o.trials; t++) {
		let bestArrival = Number.POSITIVE_INFINITY;
		let bestTicket = Number.POSITIVE_INFINITY;
		let winner = -1;
		let windowWinner = -1;
		for (let i = 0; i < o.contenders; i++) {
			const u = random();
			const region = cumulative.findIndex((c) => u < c);
			const click = random() < fast ? random() * 1000 : 1000 + -Math.log(1 - random()) * 5000;
			// Access latency, device to its nearest location, one way: 5–40 ms whatever the region.
			const access = 5 + random() * 35;
			const arrival = click + access + (REGIONS[region]?.rttMs ?? 0) / 2;
			const ticket = random();
			if (arrival < bestArrival) {
				bestArrival = arrival;
				winner = region;
			}
			if (arrival < windowEnd && ticket < bestTicket) {
				bestTicket = ticket;
				windowWinner = region;
			}
		}
		// With a window, the window's smallest ticket; nobody in it: the first arrival after it.
		const w = o.shuffleSeconds > 0 && windowWinner >= 0 ? windowWinner : winner;
		if (w >= 0) wins[w] = (wins[w] ?? 0) + 1;
	}
	return REGIONS.map((region, i) => {
		const winShare = (wins[i] ?? 0) / o.trials;
		return { region, winShare, advantage: winShare / region.share, headStartLostMs: (region.rttMs - 2) / 2 };
	});
}
