// The adversarial table (issue: edge defences). Every bad request gets API.md's exact status and code,
// and afterwards inventory, the buyers' holds and D1 orders are exactly what they were.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { newNonce } from "../client/signing";
import { listingInventoryOf } from "../durable-objects/addresses";
import { base64urlEncode } from "../lib/encoding";
import { issuePurchaseToken } from "../worker/tokens/purchase-token";
import {
	admin,
	bearer,
	call,
	cancel,
	claim,
	eventuallyOrders,
	json,
	type Login,
	login,
	orders,
	purchaseToken,
	type SeededEvent,
	seedEvent,
	sessionIdOf,
	signed,
} from "./helpers";

async function tokenOf(s: Login): Promise<string> {
	const res = await purchaseToken(s);
	expect(res.status).toBe(200);
	return (await res.json<{ purchaseToken: string }>()).purchaseToken;
}

async function snapshot(ev: SeededEvent) {
	const inventory = await Promise.all(
		ev.listingIds.map(async (l) => {
			const snap = await listingInventoryOf(env, ev.eventId, l).snapshot();
			return snap.holds.map((h) => `${l}:${h.holdId}:${h.buyerId}:${h.status}`);
		}),
	);
	const rows = await orders(ev.eventId);
	return { inventory: inventory.flat().sort(), orders: rows.map((o) => `${o.holdId}:${o.status}`).sort() };
}

interface Case {
	name: string;
	/** `a` is a fresh attacker session per case, so the buyer rate limit never masks the answer. */
	send: (a: Login) => Promise<Response>;
	status: number;
	code: string;
}

describe("adversarial requests change nothing", () => {
	let ev: SeededEvent;
	let b1: Login;
	let attackers = 10;
	let b3: Login;
	let heldId: string;
	let before: Awaited<ReturnType<typeof snapshot>>;

	beforeAll(async () => {
		ev = await seedEvent({ listings: 3, buyers: 60 });
		b1 = await login(ev.eventId, "B1");
		b3 = await login(ev.eventId, "B3");
		const res = await claim(b1, "L1");
		expect(res.status).toBe(201);
		heldId = (await res.json<{ holdId: string }>()).holdId;
		await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(1));
		before = await snapshot(ev);
	});

	const mint = async (s: Login, overrides: { eventId?: string; expiresAt?: number; secret?: string }) =>
		issuePurchaseToken(overrides.secret ?? env.SESSION_SECRET, {
			eventId: overrides.eventId ?? s.eventId,
			buyerId: s.buyerId,
			sessionId: sessionIdOf(s),
			expiresAt: overrides.expiresAt ?? Date.now() + 60_000,
		});

	const cases: Case[] = [
		// purchase tokens
		{
			name: "forged purchase token",
			send: (a) => claim(a, "L2", undefined, { purchaseToken: "forged.token" }),
			status: 403,
			code: "bad_purchase_token",
		},
		{
			name: "purchase token signed with another secret",
			send: async (a) => claim(a, "L2", undefined, { purchaseToken: await mint(a, { secret: "not-the-secret" }) }),
			status: 403,
			code: "bad_purchase_token",
		},
		{
			name: "expired purchase token",
			send: async (a) => claim(a, "L2", undefined, { purchaseToken: await mint(a, { expiresAt: Date.now() - 1 }) }),
			status: 403,
			code: "bad_purchase_token",
		},
		{
			name: "another buyer's purchase token",
			send: async (a) => claim(b3, "L2", undefined, { purchaseToken: await tokenOf(a) }),
			status: 403,
			code: "bad_purchase_token",
		},
		{
			name: "purchase token for another event",
			send: async (a) => claim(a, "L2", undefined, { purchaseToken: await mint(a, { eventId: "other-event" }) }),
			status: 403,
			code: "bad_purchase_token",
		},
		{
			name: "missing purchase token",
			send: (a) => claim(a, "L2", undefined, { purchaseToken: null }),
			status: 403,
			code: "bad_purchase_token",
		},
		// signatures
		{
			name: "tampered body",
			send: (a) => claim(a, "L2", undefined, { signedBody: JSON.stringify({ listingId: "L3" }) }),
			status: 403,
			code: "bad_signature",
		},
		{
			name: "tampered path",
			send: (a) => claim(a, "L2", undefined, { signedPath: `/api/events/${ev.eventId}/claims?x=1` }),
			status: 403,
			code: "bad_signature",
		},
		{
			name: "wrong signing key",
			send: (a) =>
				claim(a, "L2", undefined, { signingKey: base64urlEncode(crypto.getRandomValues(new Uint8Array(32))) }),
			status: 403,
			code: "bad_signature",
		},
		{
			name: "another session's signing key",
			send: (a) => claim(a, "L2", undefined, { signingKey: b3.signingKey }),
			status: 403,
			code: "bad_signature",
		},
		{
			name: "missing X-Signature",
			send: (a) => claim(a, "L2", undefined, { signature: null }),
			status: 403,
			code: "bad_signature",
		},
		{
			name: "malformed X-Signature",
			send: (a) => claim(a, "L2", undefined, { signature: "%%%" }),
			status: 403,
			code: "bad_signature",
		},
		{
			name: "timestamp 31 s ahead",
			send: (a) => claim(a, "L2", undefined, { timestamp: Date.now() + 31_000 }),
			status: 403,
			code: "stale_timestamp",
		},
		{
			name: "timestamp 31 s behind",
			send: (a) => claim(a, "L2", undefined, { timestamp: Date.now() - 31_000 }),
			status: 403,
			code: "stale_timestamp",
		},
		{
			name: "timestamp in seconds, not milliseconds",
			send: (a) => claim(a, "L2", undefined, { timestamp: Math.floor(Date.now() / 1000) }),
			status: 403,
			code: "stale_timestamp",
		},
		{
			name: "missing X-Timestamp",
			send: (a) => claim(a, "L2", undefined, { omit: ["x-timestamp"] }),
			status: 400,
			code: "invalid_request",
		},
		{
			name: "missing X-Nonce",
			send: (a) => claim(a, "L2", undefined, { omit: ["x-nonce"] }),
			status: 400,
			code: "invalid_request",
		},
		{
			name: "non-numeric X-Timestamp",
			send: (a) => claim(a, "L2", undefined, { headers: { "x-timestamp": "soon" } }),
			status: 400,
			code: "invalid_request",
		},
		{
			name: "short X-Nonce",
			send: (a) => claim(a, "L2", undefined, { nonce: "short" }),
			status: 400,
			code: "invalid_request",
		},
		{
			name: "X-Nonce with bad characters",
			send: (a) => claim(a, "L2", undefined, { nonce: "abc def ghi jkl mno" }),
			status: 400,
			code: "invalid_request",
		},
		{
			name: "replayed nonce",
			send: async (_a) => {
				const nonce = newNonce();
				const timestamp = Date.now();
				const first = await claim(b1, "L1", undefined, { nonce, timestamp }); // a safe retry: 200
				expect(first.status).toBe(200);
				return claim(b1, "L1", undefined, { nonce, timestamp });
			},
			status: 403,
			code: "replayed_nonce",
		},
		{
			name: "nonce replayed on another route",
			send: async (_a) => {
				const nonce = newNonce();
				expect((await claim(b1, "L1", undefined, { nonce })).status).toBe(200);
				return cancel(b1, heldId, { nonce });
			},
			status: 403,
			code: "replayed_nonce",
		},
		// bodies
		{
			name: "malformed JSON",
			send: (a) => claim(a, "L2", undefined, { rawBody: '{"listingId":' }),
			status: 400,
			code: "invalid_request",
		},
		{
			name: "body of the wrong shape",
			send: (a) => claim(a, "L2", { listing: "L2" }),
			status: 400,
			code: "invalid_request",
		},
		{
			name: "oversize body",
			send: (a) => claim(a, "L2", { listingId: "L2", pad: "x".repeat(17_000) }),
			status: 413,
			code: "body_too_large",
		},
		// ids
		{ name: "unknown listing", send: (a) => claim(a, "L404"), status: 404, code: "not_found" },
		{
			name: "claims on another event's path",
			send: (a) => signed(a, "POST", "/api/events/elsewhere/claims", { listingId: "L2" }),
			status: 403,
			code: "forbidden",
		},
		{ name: "cancel of an unknown hold", send: (a) => cancel(a, "h-unknown"), status: 404, code: "not_found" },
		// roles
		{
			name: "buyer confirming a hold",
			send: (a) => call(`/api/admin/holds/${heldId}/confirm`, { method: "POST", headers: bearer(a) }),
			status: 403,
			code: "forbidden",
		},
		{
			name: "buyer releasing a hold",
			send: (a) => call(`/api/admin/holds/${heldId}/release`, { method: "POST", headers: bearer(a) }),
			status: 403,
			code: "forbidden",
		},
		{
			name: "buyer opening the event",
			send: (a) => json("POST", `/api/admin/events/${ev.eventId}/status`, { status: "closed" }, bearer(a)),
			status: 403,
			code: "forbidden",
		},
		{
			name: "buyer reading orders",
			send: (a) => call(`/api/admin/events/${ev.eventId}/orders`, { headers: bearer(a) }),
			status: 403,
			code: "forbidden",
		},
		{ name: "buyer cancelling another buyer's hold", send: (a) => cancel(a, heldId), status: 403, code: "forbidden" },
		// sessions
		{
			name: "no session",
			send: (_a) => json("POST", `/api/events/${ev.eventId}/claims`, { listingId: "L2" }),
			status: 401,
			code: "unauthenticated",
		},
		{
			name: "revoked session",
			send: async (_a) => {
				const old = await login(ev.eventId, "B4");
				await tokenOf(old);
				await login(ev.eventId, "B4");
				return claim(old, "L2");
			},
			status: 401,
			code: "session_revoked",
		},
		{
			name: "cross-site request with the session cookie",
			send: async (_a) => {
				const res = await json("POST", "/api/auth/login", {
					eventId: ev.eventId,
					buyerId: "B3",
					accessCode: "accessB3",
				});
				const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
				b3 = await res.json<Login>();
				return call(`/api/events/${ev.eventId}/purchase-token`, {
					method: "POST",
					headers: { cookie, origin: "https://evil.example" },
				});
			},
			status: 403,
			code: "forbidden",
		},
	];

	it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
		attackers += 1;
		const res = await c.send(await login(ev.eventId, `B${attackers}`));
		expect(res.status).toBe(c.status);
		const body = await res.json<{ error: { code: string; message: string } }>();
		expect(body.error.code).toBe(c.code);
		expect(body.error.message.length).toBeGreaterThan(0);
		expect(await snapshot(ev)).toEqual(before);
	});
});

describe("claims outside the open window", () => {
	it.each([
		["before opening", "auto", "scheduled"],
		["while paused", "paused", "paused"],
		["after closing", "closed", "closed"],
	] as const)("%s → 423 event_not_open with the status, and nothing held", async (_name, mode, status) => {
		const ev = await seedEvent({ listings: 1, buyers: 1, open: mode !== "auto" });
		const s = await login(ev.eventId, "B1");
		const token = mode === "auto" ? undefined : await tokenOf(s);
		if (mode !== "auto") await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: mode });
		const res = await claim(s, "L1", undefined, { purchaseToken: token ?? null });
		expect(res.status).toBe(423);
		const body = await res.json<{ status: string; opensAt?: string; error: { code: string } }>();
		expect(body).toMatchObject({ status, error: { code: "event_not_open" } });
		if (status === "scheduled") expect(Date.parse(body.opensAt ?? "")).toBeGreaterThan(Date.now());
		const tokenRes = await purchaseToken(s);
		expect(tokenRes.status).toBe(423);
		expect((await listingInventoryOf(env, ev.eventId, "L1").snapshot()).holds).toEqual([]);
	});

	it("claims paused by the operator → 503 degraded with Retry-After, then work again", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const s = await login(ev.eventId, "B1");
		const flags = await admin("PUT", `/api/admin/events/${ev.eventId}/flags`, { claimsPaused: true });
		expect(await flags.json()).toEqual({ flags: { claimsPaused: true, smsOff: false, buyerLiveOff: false } });
		const res = await claim(s, "L1");
		expect(res.status).toBe(503);
		expect(res.headers.get("retry-after")).toBe("5");
		expect((await res.json<{ error: { code: string } }>()).error.code).toBe("degraded");
		expect((await listingInventoryOf(env, ev.eventId, "L1").snapshot()).holds).toEqual([]);
		await admin("PUT", `/api/admin/events/${ev.eventId}/flags`, { claimsPaused: false });
		expect((await claim(s, "L1")).status).toBe(201);
	});
});
