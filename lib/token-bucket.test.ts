import { describe, expect, it } from "vitest";
import { TokenBuckets } from "./token-bucket";

const limits = { burst: 2, ratePerSecond: 1 };

describe("TokenBuckets", () => {
	it("takes the burst, then refuses with the seconds until the next token", () => {
		const b = new TokenBuckets();
		expect(b.take("a", limits, 0)).toEqual({ ok: true });
		expect(b.take("a", limits, 0)).toEqual({ ok: true });
		expect(b.take("a", limits, 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
		expect(b.take("a", limits, 1000)).toEqual({ ok: true });
		expect(b.take("b", limits, 0)).toEqual({ ok: true });
	});

	it("peek answers like take but never spends a token", () => {
		const b = new TokenBuckets();
		for (let i = 0; i < 5; i++) expect(b.peek("a", limits, 0)).toEqual({ ok: true });
		b.take("a", limits, 0);
		b.take("a", limits, 0);
		expect(b.peek("a", limits, 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
		expect(b.peek("a", limits, 500)).toEqual({ ok: false, retryAfterSeconds: 1 });
		expect(b.peek("a", limits, 1000)).toEqual({ ok: true });
	});

	it("forgets the least recently used key beyond maxKeys", () => {
		const b = new TokenBuckets(1);
		b.take("a", limits, 0);
		b.take("a", limits, 0);
		b.take("b", limits, 0);
		expect(b.take("a", limits, 0)).toEqual({ ok: true });
	});
});
