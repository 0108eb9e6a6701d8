// notifications queue → SMS. Each (hold, kind) is sent at most once: the D1 row is claimed first, the
// provider is called, and the row is given back if the provider fails so that the retry can send it.
import { and, eq } from "drizzle-orm";
import { dbOf, schema } from "../db/client";
import type { NotificationMessage } from "../lib/hold-record";
import { readSwitches } from "../worker/hot-reads/switches";
import { backoffSeconds } from "./orders";
import { smsProviderFor, suppressedProvider } from "./sms-provider";

/** Buyers read the deadline on their phone in China: say it in Beijing time, not UTC. */
const BEIJING_TIME = new Intl.DateTimeFormat("zh-CN", {
	timeZone: "Asia/Shanghai",
	month: "2-digit",
	day: "2-digit",
	hour: "2-digit",
	minute: "2-digit",
	hour12: false,
});

export function smsText(n: NotificationMessage): string {
	switch (n.kind) {
		case "granted": {
			const until = n.expiresAt ? BEIJING_TIME.format(new Date(n.expiresAt)) : "";
			return `【开盘】您已锁定房源 ${n.listingId}，请在北京时间 ${until} 前完成认购。Unit ${n.listingId} is held for you until ${until} (Beijing time).`;
		}
		case "confirmed":
			return `【开盘】房源 ${n.listingId} 认购成功。Your purchase of unit ${n.listingId} is confirmed.`;
		case "expired":
			return `【开盘】房源 ${n.listingId} 锁定已过期并释放。Your hold on unit ${n.listingId} has expired.`;
	}
}

export async function consumeNotifications(
	batch: MessageBatch<NotificationMessage>,
	env: Env,
	fetcher?: typeof fetch,
): Promise<void> {
	const db = dbOf(env);
	const sms = smsProviderFor(env, fetcher);
	const smsOff = new Map<string, Promise<boolean>>();
	for (const m of batch.messages) {
		const n = m.body;
		// The operator's "SMS off" switch: messages are still recorded (the console shows them), not sent.
		const off = smsOff.get(n.eventId) ?? readSwitches(env, n.eventId).then((f) => f.smsOff);
		smsOff.set(n.eventId, off);
		const id = `${n.holdId}:${n.kind}`;
		try {
			const buyer = await db
				.select({ phone: schema.buyers.phone })
				.from(schema.buyers)
				.where(and(eq(schema.buyers.eventId, n.eventId), eq(schema.buyers.id, n.buyerId)))
				.limit(1);
			const phone = buyer[0]?.phone ?? null;
			const body = smsText(n);
			const provider = (await off) ? suppressedProvider : sms;
			const claimed = await db
				.insert(schema.notifications)
				.values({
					id,
					eventId: n.eventId,
					buyerId: n.buyerId,
					holdId: n.holdId,
					kind: n.kind,
					phone,
					body,
					provider: provider.name,
				})
				.onConflictDoNothing()
				.returning({ id: schema.notifications.id });
			if (claimed.length > 0 && phone) {
				try {
					await provider.send({ id, to: phone, body });
				} catch (err) {
					await db.delete(schema.notifications).where(eq(schema.notifications.id, id));
					throw err;
				}
			}
			m.ack();
		} catch (err) {
			console.warn("notification not sent; will retry", { id, attempt: m.attempts, error: String(err) });
			m.retry({ delaySeconds: backoffSeconds(m.attempts) });
		}
	}
}
