// The byte/text encodings the worker and the browser share; plain Node, no bindings.
import { describe, expect, it } from "vitest";
import { base64urlDecode, base64urlEncode, toHex, utf8 } from "./encoding";

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
});
