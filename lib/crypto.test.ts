// WebCrypto helpers; Node's globalThis.crypto stands in for workerd's, so no bindings are needed.
import { describe, expect, it } from "vitest";
import { timingSafeEqualText } from "./crypto";

describe("constant-time comparison", () => {
	it("compares in constant time, by value", async () => {
		expect(await timingSafeEqualText("abc", "abc")).toBe(true);
		expect(await timingSafeEqualText("abc", "abd")).toBe(false);
		expect(await timingSafeEqualText("abc", "abcd")).toBe(false);
	});
});
