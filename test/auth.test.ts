// Login, single-device sessions, logout.
import { describe, expect, it } from "vitest";
import { ADMIN, bearer, call, claim, errorCode, json, login, seedEvent } from "./helpers";

describe("login", () => {
	it("returns a session, a signing key and a strict cookie", async () => {
		const ev = await seedEvent();
		const res = await json("POST", "/api/auth/login", { eventId: ev.eventId, buyerId: "B1", accessCode: "accessB1" });
		expect(res.status).toBe(200);
		const body = await res.json<Record<string, string>>();
		expect(body).toMatchObject({ buyerId: "B1", eventId: ev.eventId });
		expect(body.sessionToken).toBeTruthy();
		expect(body.signingKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
		const cookie = res.headers.get("set-cookie") ?? "";
		expect(cookie).toMatch(/^kp_session=/);
		for (const flag of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"]) expect(cookie).toContain(flag);
		// The cookie alone authenticates a browser.
		const token = cookie.split(";")[0] ?? "";
		const me = await call("/api/me/holds", { headers: { cookie: token } });
		expect(me.status).toBe(200);
	});

	it("answers a wrong code and an unknown buyer the same way", async () => {
		const ev = await seedEvent();
		const wrong = await json("POST", "/api/auth/login", { eventId: ev.eventId, buyerId: "B1", accessCode: "nope" });
		const unknown = await json("POST", "/api/auth/login", { eventId: ev.eventId, buyerId: "B999", accessCode: "nope" });
		expect(wrong.status).toBe(401);
		expect(unknown.status).toBe(401);
		expect(await wrong.json()).toEqual(await unknown.json());
	});
});

describe("single device", () => {
	it("a new login revokes the earlier session at once", async () => {
		const ev = await seedEvent();
		const first = await login(ev.eventId, "B1");
		const second = await login(ev.eventId, "B1");
		const old = await call("/api/me/holds", { headers: bearer(first) });
		expect(old.status).toBe(401);
		expect(await errorCode(old)).toBe("session_revoked");
		const oldClaim = await claim(first, "L1");
		expect(await errorCode(oldClaim)).toBe("session_revoked");
		expect((await call("/api/me/holds", { headers: bearer(second) })).status).toBe(200);
	});

	it("logout ends the session; requests without one are unauthenticated", async () => {
		const ev = await seedEvent();
		const s = await login(ev.eventId, "B1");
		const out = await call("/api/auth/logout", { method: "POST", headers: bearer(s) });
		expect(out.status).toBe(204);
		expect(await errorCode(await call("/api/me/holds", { headers: bearer(s) }))).toBe("session_revoked");
		expect(await errorCode(await call("/api/me/holds"))).toBe("unauthenticated");
		expect(await errorCode(await call("/api/me/holds", { headers: { authorization: "Bearer forged.token" } }))).toBe(
			"unauthenticated",
		);
	});

	it("a buyer's session cannot use operator routes, and the admin token is not a session", async () => {
		const ev = await seedEvent();
		const s = await login(ev.eventId, "B1");
		const res = await call(`/api/admin/events/${ev.eventId}`, { headers: bearer(s) });
		expect(res.status).toBe(403);
		expect(await errorCode(res)).toBe("forbidden");
		expect(await errorCode(await call("/api/me/holds", { headers: ADMIN }))).toBe("unauthenticated");
		expect(await errorCode(await call(`/api/admin/events/${ev.eventId}`))).toBe("unauthenticated");
	});
});

describe("guessing access codes", () => {
	// Issue 10 changed this contract: guesses are limited per address and per (address, buyer), never per
	// buyer alone, so nobody else's guesses lock the right code out (test/abuse.test.ts has the attacks).
	const attempt = (eventId: string, buyerId: string, accessCode: string, address = "2001:db8::9") =>
		json("POST", "/api/auth/login", { eventId, buyerId, accessCode }, { "cf-connecting-ip": address });

	it("limits one address to 10 attempts a minute per buyer; the buyer's own address is not affected", async () => {
		const ev = await seedEvent({ buyers: 2 });
		for (let i = 0; i < 10; i++)
			expect(await errorCode(await attempt(ev.eventId, "B1", `wrongcode${i}`))).toBe("bad_credentials");
		const limited = await attempt(ev.eventId, "B1", "accessB1");
		expect(limited.status).toBe(429);
		expect(await errorCode(limited)).toBe("rate_limited");
		expect(limited.headers.get("retry-after")).toBe("60");
		expect((await attempt(ev.eventId, "B1", "accessB1", "2001:db8::1")).status).toBe(200);
		expect((await attempt(ev.eventId, "B2", "accessB2")).status).toBe(200);
	});

	it("limits guesses at unknown buyer ids the same way", async () => {
		const ev = await seedEvent({ buyers: 1 });
		for (let i = 0; i < 10; i++)
			expect(await errorCode(await attempt(ev.eventId, "nobody", `wrongcode${i}`))).toBe("bad_credentials");
		expect(await errorCode(await attempt(ev.eventId, "nobody", "wrongcode10"))).toBe("rate_limited");
	});

	it("forgives a few typos: a right code after wrong ones logs in", async () => {
		const ev = await seedEvent({ buyers: 1 });
		for (let i = 0; i < 9; i++) await attempt(ev.eventId, "B1", `typo${i}`, "2001:db8::7");
		expect((await attempt(ev.eventId, "B1", "accessB1", "2001:db8::7")).status).toBe(200);
	});
});
