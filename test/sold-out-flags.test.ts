// The isolate's sold-out flags (worker/sold-out-flags.ts), driven by an explicit clock: who is refused at
// the edge without reaching the listing's object, and for how long the flag is trusted.
import { describe, expect, it } from "vitest";
import {
	clearSoldOut,
	markSoldOut,
	refusedBySoldOutFlag,
	SOLD_OUT_FLAG_STALE_MS,
	SOLD_OUT_FLAG_TTL_MS,
} from "../worker/hot-reads/sold-out-flags";

describe("sold-out flags", () => {
	const holder = {
		holdId: "h1",
		eventId: "e",
		listingId: "L",
		buyerId: "B1",
		status: "held" as const,
		priceCents: 1,
		expiresAt: 60_000,
		createdAt: 0,
		updatedAt: 0,
		version: 1,
	};

	it("refuse everyone but the holders while fresh, renew once when stale, and give up after", () => {
		let renewals = 0;
		const renew = () => {
			renewals += 1;
		};
		markSoldOut("e", "L", [holder], 0);
		expect(refusedBySoldOutFlag("e", "L", "B2", renew, 500)).toBe(true);
		expect(refusedBySoldOutFlag("e", "L", "B1", renew, 500)).toBe(false);
		expect(renewals).toBe(0);
		expect(refusedBySoldOutFlag("e", "L", "B2", renew, SOLD_OUT_FLAG_TTL_MS + 10)).toBe(true);
		expect(refusedBySoldOutFlag("e", "L", "B3", renew, SOLD_OUT_FLAG_TTL_MS + 20)).toBe(true);
		expect(renewals).toBe(1);
		expect(refusedBySoldOutFlag("e", "L", "B2", renew, SOLD_OUT_FLAG_TTL_MS + SOLD_OUT_FLAG_STALE_MS)).toBe(false);
		expect(refusedBySoldOutFlag("e", "L", "B2", renew, 0)).toBe(false);
	});

	it("are trusted no longer than the earliest expiry of the holds that took the units", () => {
		let renewals = 0;
		markSoldOut(
			"e",
			"L3",
			[
				{ ...holder, expiresAt: 2_000 },
				{ ...holder, buyerId: "B9", status: "confirmed", expiresAt: null },
			],
			0,
		);
		expect(refusedBySoldOutFlag("e", "L3", "B2", () => (renewals += 1), 1_999)).toBe(true);
		expect(renewals).toBe(0);
		expect(refusedBySoldOutFlag("e", "L3", "B2", () => (renewals += 1), 2_000)).toBe(true);
		expect(renewals).toBe(1);
	});

	it("are cleared by a free passing through the isolate", () => {
		markSoldOut("e", "L2", [holder], 0);
		clearSoldOut("e", "L2");
		expect(refusedBySoldOutFlag("e", "L2", "B2", () => undefined, 1)).toBe(false);
	});
});
