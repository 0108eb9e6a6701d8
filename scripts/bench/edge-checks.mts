// CPU cost of the edge checks a claim passes before it may touch an object, measured one by one with
// the project's own functions (WebCrypto in V8, as in workerd). Run: npm run bench:checks
import { z } from "zod";
import { newNonce, signRequest } from "../../client/signing.ts";
import { hmacBase64url, randomId, timingSafeEqualMac, timingSafeEqualText } from "../../lib/crypto.ts";
import { TokenBuckets } from "../../lib/token-bucket.ts";
import { issuePurchaseToken, purchaseTokenValid } from "../../worker/tokens/purchase-token.ts";
import { issueSessionToken, signingKeyFor, verifySessionToken } from "../../worker/tokens/session-token.ts";

const SECRET = "bench-session-secret";
const claims = {
	eventId: "demo",
	buyerId: "b0001",
	sessionId: "s123456789012345678901234",
	expiresAt: Date.now() + 3_600_000,
};
const sessionToken = await issueSessionToken(SECRET, claims);
const purchaseToken = await issuePurchaseToken(SECRET, { ...claims, expiresAt: Date.now() + 300_000 });
const body = JSON.stringify({ listingId: "1-05-02" });
const path = "/api/events/demo/claims";
const schema = z.strictObject({ listingId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
const buckets = new TokenBuckets();
const PEPPER = "bench-access-code-pepper";
const storedHash = await hmacBase64url(PEPPER, "access-code:demo:b0001:1234567890123");

async function measure(name: string, fn: () => Promise<unknown> | unknown, iterations = 20_000) {
	for (let i = 0; i < 2_000; i++) await fn(); // warm-up: JIT and key caches
	const start = process.cpuUsage();
	const t0 = performance.now();
	for (let i = 0; i < iterations; i++) await fn();
	const wall = performance.now() - t0;
	const cpu = process.cpuUsage(start);
	const cpuUs = (cpu.user + cpu.system) / iterations;
	return { check: name, "cpu µs/op": cpuUs.toFixed(2), "wall µs/op": ((wall * 1000) / iterations).toFixed(2) };
}

const rows = [
	await measure("baseline: await of a resolved promise (the floor)", () => Promise.resolve()),
	await measure("baseline: JSON.parse of the claim body", () => JSON.parse(body)),
	await measure("session token: HMAC verify + parse", () => verifySessionToken(SECRET, sessionToken)),
	await measure("signing key derivation (HMAC; memoised per session)", () => signingKeyFor(SECRET, claims.sessionId)),
	await measure("request signature: key + SHA-256(body) + HMAC + compare", async () => {
		const key = await signingKeyFor(SECRET, claims.sessionId);
		const nonce = newNonce();
		const sig = await signRequest(key, { method: "POST", pathAndQuery: path, timestamp: Date.now(), nonce, body });
		return timingSafeEqualMac(sig, sig);
	}),
	await measure("purchase token: HMAC verify + binding checks", () =>
		purchaseTokenValid(SECRET, purchaseToken, claims, "demo"),
	),
	await measure("token bucket take (per buyer)", () => buckets.take("demo:b0001", { burst: 1e9, ratePerSecond: 1e9 })),
	await measure("zod: strict claim body", () => schema.parse(JSON.parse(body))),
	// Login (issue 10): a wrong code and an unknown buyer id run exactly this, nothing more (plus one
	// D1 read); a right code adds the session's token and signing key (and the buyer object's write).
	await measure("login: access-code HMAC + constant-time compare", async () => {
		const hash = await hmacBase64url(PEPPER, "access-code:demo:b0001:wrong-code-1");
		return timingSafeEqualText(hash, storedHash);
	}),
	await measure("login, right code: + session token + signing key", async () => {
		const sessionId = randomId("s", 24);
		await issueSessionToken(SECRET, { ...claims, sessionId });
		return signingKeyFor(SECRET, sessionId);
	}),
];
console.table(rows);
const total = rows
	.slice(0, 8)
	.filter((_, i) => i >= 2 && i !== 3)
	.reduce((sum, r) => sum + Number(r["cpu µs/op"]), 0);
console.log(`All edge checks of one claim: ~${total.toFixed(0)} µs CPU (Node ${process.version}, ${process.arch}).`);
