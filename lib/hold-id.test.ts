// Addressed hold ids: every id made is a valid API id, names exactly its event and listing, and nothing
// else parses as an address. Plain Node, no bindings.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeHoldId, HOLD_ID_RANDOM_CHARS, MAX_ADDRESS_CHARS, newHoldId, parseHoldId } from "./hold-id";

const API_ID = /^[A-Za-z0-9_-]{1,64}$/;
const idArb = (max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{1,${max}}$`));
const RANDOM = "R".repeat(HOLD_ID_RANDOM_CHARS);

describe("hold ids", () => {
	it("round-trip their event and listing, and stay valid API ids", () => {
		fc.assert(
			fc.property(idArb(44), idArb(44), (eventId, listingId) => {
				const id = encodeHoldId({ eventId, listingId }, RANDOM);
				if (eventId.length + listingId.length > MAX_ADDRESS_CHARS) return expect(id).toBeNull();
				expect(id).toMatch(API_ID);
				expect(parseHoldId(id ?? "")).toEqual({ eventId, listingId });
			}),
		);
	});

	it("a typical pair is addressed; a new id is fresh each time", () => {
		const a = newHoldId("ev-spring-2030", "1-01-01");
		expect(parseHoldId(a)).toEqual({ eventId: "ev-spring-2030", listingId: "1-01-01" });
		expect(newHoldId("ev-spring-2030", "1-01-01")).not.toBe(a);
	});

	it("ids too long to carry fall back to a random id that parses as nothing (found through D1)", () => {
		const eventId = "e".repeat(40);
		const id = newHoldId(eventId, "L123456");
		expect(id).toMatch(API_ID);
		expect(id.startsWith("h")).toBe(true);
		expect(parseHoldId(id)).toBeNull();
		expect(encodeHoldId({ eventId: "e".repeat(MAX_ADDRESS_CHARS - 1), listingId: "L" }, RANDOM)).not.toBeNull();
	});

	it("parses nothing else: old random ids, truncated or padded ids, junk", () => {
		const good = encodeHoldId({ eventId: "ev1", listingId: "L1" }, RANDOM) ?? "";
		for (const bad of [
			"",
			"hAbCdEfGhJkMnPqRsTuVwXyZ",
			good.slice(0, -1),
			`${good}x`,
			"k0",
			"k3ev",
			"k3ev12L1RRRRRRRRRRRRRRR",
			"k0ev12L1RRRRRRRRRRRRRRRR",
			`k${"z".repeat(70)}`,
			"k3ev:2L1RRRRRRRRRRRRRRRR",
		]) {
			expect(parseHoldId(bad)).toBeNull();
		}
		fc.assert(
			fc.property(fc.string(), (s) => {
				const parsed = parseHoldId(s);
				if (parsed) expect(encodeHoldId(parsed, s.slice(-HOLD_ID_RANDOM_CHARS))).toBe(s);
			}),
		);
	});
});
