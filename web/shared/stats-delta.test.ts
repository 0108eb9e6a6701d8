import { describe, expect, it } from "vitest";
import { rejectionDelta } from "./stats-delta";

describe("rejectionDelta", () => {
	it("takes the first frame as the baseline", () => {
		expect(rejectionDelta(null, { sold_out: 5 })).toEqual({ sold_out: 0 });
	});

	it("counts what each frame added, and a code seen for the first time in full", () => {
		expect(rejectionDelta({ sold_out: 5 }, { sold_out: 7, limit_reached: 2 })).toEqual({
			sold_out: 2,
			limit_reached: 2,
		});
	});

	it("never plots a negative count (the hub restarted and its totals began again)", () => {
		expect(rejectionDelta({ sold_out: 9 }, { sold_out: 1 })).toEqual({ sold_out: 0 });
	});
});
