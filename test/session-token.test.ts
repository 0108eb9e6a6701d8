// Session tokens (worker/session-token.ts): issued and verified without a request or a binding, but the
// module belongs to the worker, so it is tested in the workers project.
import { describe, expect, it } from "vitest";
import { base64urlEncode, utf8 } from "../lib/encoding";
import { issueSessionToken, verifySessionToken } from "../worker/tokens/session-token";

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
