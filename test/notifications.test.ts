// SMS: one message per hold and kind, the HTTP provider's contract with a gateway, retries on a
// gateway failure, and the operator's "SMS off" switch. The gateway is a real HTTP handler (a Hono
// app) reached through the provider's fetch, standing in for the outside SMS service.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { upsertOrders } from "../db/orders";
import type { NotificationMessage } from "../lib/hold-record";
import { consumeNotifications, smsText } from "../queue-consumers/notifications";
import { admin, holdRecord, seedEvent, uniqueId } from "./helpers";

function gateway(failFirst: number) {
	const calls: { headers: Record<string, string>; body: { to: string; body: string; reference: string } }[] = [];
	let failures = failFirst;
	const app = new Hono().post("/send", async (c) => {
		calls.push({ headers: Object.fromEntries(c.req.raw.headers), body: await c.req.json() });
		if (failures > 0) {
			failures -= 1;
			return c.text("gateway busy", 503);
		}
		return c.json({ accepted: true });
	});
	const fetcher: typeof fetch = (input, init) => Promise.resolve(app.fetch(new Request(input, init)));
	return { calls, fetcher };
}

function notice(eventId: string, kind: NotificationMessage["kind"] = "granted"): NotificationMessage {
	return {
		kind,
		holdId: uniqueId("h"),
		eventId,
		listingId: "L1",
		buyerId: "B1",
		expiresAt: Date.now() + 900_000,
		version: 1,
	};
}

async function deliver(messages: NotificationMessage[], e: Env, fetcher?: typeof fetch) {
	const batch = createMessageBatch(
		"kaipan-notifications",
		messages.map((body, i) => ({ id: uniqueId(`n${i}`), timestamp: new Date(), attempts: 1, body })),
	);
	await consumeNotifications(batch, e, fetcher);
	return getQueueResult(batch, createExecutionContext());
}

async function rows(holdId: string) {
	return (await env.DB.prepare("SELECT kind, provider, phone FROM notifications WHERE hold_id = ?").bind(holdId).all())
		.results;
}

const httpEnv: Env = {
	...env,
	SMS_PROVIDER: "http",
	SMS_API_URL: "https://sms-gateway.test/send",
	SMS_API_KEY: "k-123",
};

describe("SMS through the HTTP provider", () => {
	it("posts each message once with the key and an idempotency key", async () => {
		const ev = await seedEvent({ buyers: 1 });
		const gw = gateway(0);
		const n = notice(ev.eventId);
		await deliver([n, n], httpEnv, gw.fetcher);
		expect(gw.calls).toHaveLength(1);
		expect(gw.calls[0]?.headers.authorization).toBe("Bearer k-123");
		expect(gw.calls[0]?.headers["idempotency-key"]).toBe(`${n.holdId}:granted`);
		// L1 of seedEvent is building "1", floor 1, unit "01": the SMS names it as the pages do.
		const body = smsText(n, { building: "1", floor: 1, unit: "01" });
		expect(body).toContain("1 101");
		expect(gw.calls[0]?.body).toEqual({ to: "+8613800000000", body, reference: `${n.holdId}:granted` });
		expect(await rows(n.holdId)).toEqual([{ kind: "granted", provider: "http", phone: "+8613800000000" }]);
	});

	it("a gateway failure is retried and then sent exactly once", async () => {
		const ev = await seedEvent({ buyers: 1 });
		const gw = gateway(1);
		const n = notice(ev.eventId, "confirmed");
		const first = await deliver([n], httpEnv, gw.fetcher);
		expect(first.retryMessages).toHaveLength(1);
		expect(await rows(n.holdId)).toEqual([]);
		const second = await deliver([n], httpEnv, gw.fetcher);
		expect(second.explicitAcks).toHaveLength(1);
		expect(gw.calls).toHaveLength(2);
		expect(await rows(n.holdId)).toHaveLength(1);
	});

	it("with SMS switched off, messages are recorded as suppressed and the gateway is not called", async () => {
		const ev = await seedEvent({ buyers: 1 });
		await admin("PUT", `/api/admin/events/${ev.eventId}/flags`, { smsOff: true });
		const gw = gateway(0);
		const n = notice(ev.eventId, "expired");
		await deliver([n], httpEnv, gw.fetcher);
		expect(gw.calls).toHaveLength(0);
		expect(await rows(n.holdId)).toEqual([{ kind: "expired", provider: "suppressed", phone: "+8613800000000" }]);
	});
});

describe("notifications follow the newest state (finding f)", () => {
	it("a granted notice for a version older than the order D1 has sends nothing", async () => {
		const ev = await seedEvent({ buyers: 1 });
		const h = holdRecord({ eventId: ev.eventId, buyerId: "B1", expiresAt: Date.now() + 600_000 });
		await upsertOrders(env, [{ ...h, status: "cancelled", expiresAt: null, version: 2, updatedAt: h.updatedAt + 1 }]);
		const gw = gateway(0);
		const stale: NotificationMessage = { ...notice(ev.eventId), holdId: h.holdId, expiresAt: h.expiresAt, version: 1 };
		const result = await deliver([stale], httpEnv, gw.fetcher);
		expect(result.explicitAcks).toHaveLength(1);
		expect(gw.calls).toHaveLength(0);
		expect(await rows(h.holdId)).toEqual([]);
	});

	it("a notice for the version D1 has is sent", async () => {
		const ev = await seedEvent({ buyers: 1 });
		const h = holdRecord({ eventId: ev.eventId, buyerId: "B1", expiresAt: Date.now() + 600_000 });
		await upsertOrders(env, [h]);
		const gw = gateway(0);
		await deliver(
			[{ ...notice(ev.eventId), holdId: h.holdId, expiresAt: h.expiresAt, version: 1 }],
			httpEnv,
			gw.fetcher,
		);
		expect(gw.calls).toHaveLength(1);
	});
});

describe("SMS text", () => {
	it("gives the hold's deadline in Beijing time", () => {
		const text = smsText({
			kind: "granted",
			holdId: "h1",
			eventId: "e1",
			listingId: "1-05-02",
			buyerId: "B1",
			expiresAt: Date.parse("2026-11-25T09:00:00Z"),
			version: 1,
		});
		expect(text).toContain("北京时间 11/25 17:00");
		// A unit D1 does not know is named by its listing id.
		expect(text).toContain("1-05-02");
	});

	it("names the unit as the pages do, in Chinese only (issue 13, defect 10)", () => {
		const place = { building: "2号楼", floor: 12, unit: "01" };
		const base = { holdId: "h1", eventId: "e1", listingId: "2-12-01", buyerId: "B1", version: 1 };
		const texts = [
			smsText({ ...base, kind: "granted", expiresAt: Date.parse("2026-11-25T09:00:00Z") }, place),
			smsText({ ...base, kind: "confirmed", expiresAt: null }, place),
			smsText({ ...base, kind: "expired", expiresAt: null }, place),
		];
		expect(texts).toEqual([
			"【开盘】您已锁定 2号楼 1201，请在北京时间 11/25 17:00 前完成认购，逾期自动释放。",
			"【开盘】2号楼 1201 认购成功。",
			"【开盘】您对 2号楼 1201 的锁定已过期，房源已释放。",
		]);
		for (const t of texts) expect(t).not.toMatch(/[A-Za-z]/);
	});
});

describe("the notification outbox", () => {
	it("pages newest first with the same cursor as orders", async () => {
		const ev = await seedEvent({ buyers: 1 });
		const sent = [notice(ev.eventId), notice(ev.eventId), notice(ev.eventId)];
		await deliver(sent, env);
		const seen: string[] = [];
		let cursor: string | null = null;
		do {
			const q: string = cursor ? `&cursor=${cursor}` : "";
			const res = await admin("GET", `/api/admin/events/${ev.eventId}/notifications?limit=2${q}`);
			expect(res.status).toBe(200);
			const page: { notifications: { holdId: string }[]; nextCursor: string | null } = await res.json();
			seen.push(...page.notifications.map((n) => n.holdId));
			cursor = page.nextCursor;
		} while (cursor);
		expect(seen.sort()).toEqual(sent.map((n) => n.holdId).sort());
		const bad = await admin("GET", `/api/admin/events/${ev.eventId}/notifications?cursor=nope`);
		expect(bad.status).toBe(400);
	});
});
