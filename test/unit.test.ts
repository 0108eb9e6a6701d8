// Pure logic, no bindings.
import { describe, expect, it } from "vitest";
import { timingSafeEqualText } from "../lib/crypto";
import { base64urlDecode, base64urlEncode, toHex, utf8 } from "../lib/encoding";
import { eventStatus, isLocked } from "../lib/event-rules";
import { TtlCache } from "../lib/ttl-cache";
import {
	clearSoldOut,
	markSoldOut,
	refusedBySoldOutFlag,
	SOLD_OUT_FLAG_STALE_MS,
	SOLD_OUT_FLAG_TTL_MS,
} from "../worker/hot-reads/sold-out-flags";
import { issueSessionToken, verifySessionToken } from "../worker/tokens/session-token";

const event = {
	startsAt: "2030-01-01T10:00:00.000Z",
	endsAt: "2030-01-01T12:00:00.000Z",
	statusMode: "auto",
	openedAt: null,
};
const at = (iso: string) => Date.parse(iso);

describe("event rules", () => {
	it("derives scheduled, open and closed from the clock in auto mode", () => {
		expect(eventStatus(event, at("2030-01-01T09:59:59Z"))).toBe("scheduled");
		expect(eventStatus(event, at("2030-01-01T10:00:00Z"))).toBe("open");
		expect(eventStatus(event, at("2030-01-01T12:00:00Z"))).toBe("closed");
	});
	it("lets an operator override win", () => {
		expect(eventStatus({ ...event, statusMode: "paused" }, at("2030-01-01T11:00:00Z"))).toBe("paused");
		expect(eventStatus({ ...event, statusMode: "open" }, at("2029-01-01T00:00:00Z"))).toBe("open");
	});
	it("locks from the start time or an early opening", () => {
		expect(isLocked(event, at("2030-01-01T09:00:00Z"))).toBe(false);
		expect(isLocked(event, at("2030-01-01T10:00:00Z"))).toBe(true);
		expect(isLocked({ ...event, openedAt: "2029-12-31T00:00:00Z" }, at("2030-01-01T09:00:00Z"))).toBe(true);
	});
});

describe("encodings", () => {
	it("round-trips base64url without padding", () => {
		for (const len of [0, 1, 2, 3, 31, 32]) {
			const bytes = new Uint8Array(len).map((_, i) => (i * 37) % 256);
			const text = base64urlEncode(bytes);
			expect(text).not.toMatch(/[=+/]/);
			expect(base64urlDecode(text)).toEqual(bytes);
		}
		expect(base64urlDecode("not base64!")).toBeNull();
		expect(toHex(utf8("ab"))).toBe("6162");
	});
	it("compares in constant time, by value", async () => {
		expect(await timingSafeEqualText("abc", "abc")).toBe(true);
		expect(await timingSafeEqualText("abc", "abd")).toBe(false);
		expect(await timingSafeEqualText("abc", "abcd")).toBe(false);
	});
});

describe("session tokens", () => {
	const claims = { eventId: "e1", buyerId: "b1", sessionId: "s1", expiresAt: Date.now() + 60_000 };
	it("verify when untouched and refuse tampering, other secrets and expiry", async () => {
		const token = await issueSessionToken("k", claims);
		expect(await verifySessionToken("k", token)).toEqual(claims);
		expect(await verifySessionToken("other", token)).toBeNull();
		const [payload, sig] = token.split(".");
		const forged = base64urlEncode(utf8(JSON.stringify({ e: "e1", b: "b2", s: "s1", x: claims.expiresAt })));
		expect(await verifySessionToken("k", `${forged}.${sig}`)).toBeNull();
		expect(await verifySessionToken("k", `${payload}.${sig}x`)).toBeNull();
		expect(await verifySessionToken("k", token, claims.expiresAt + 1)).toBeNull();
		expect(await verifySessionToken("k", "garbage")).toBeNull();
	});
});

describe("TtlCache", () => {
	it("shares one load among concurrent misses and reloads after the TTL", async () => {
		const cache = new TtlCache<number>(100);
		let loads = 0;
		const load = async () => ++loads;
		const [a, b] = await Promise.all([cache.get("k", load, 0), cache.get("k", load, 0)]);
		expect([a, b, loads]).toEqual([1, 1, 1]);
		expect(await cache.get("k", load, 99)).toBe(1);
		expect(await cache.get("k", load, 100)).toBe(2);
	});
	it("does not keep a failed load", async () => {
		const cache = new TtlCache<number>(1_000);
		await expect(cache.get("k", () => Promise.reject(new Error("boom")), 0)).rejects.toThrow("boom");
		expect(await cache.get("k", async () => 7, 1)).toBe(7);
	});
	it("refuses a negative TTL at setup", () => {
		expect(() => new TtlCache(-1)).toThrow();
	});
});

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
