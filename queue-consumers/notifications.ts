// notifications queue → SMS. Each (hold, kind) is sent at most once: the D1 row is claimed first, the
// provider is called, and the row is given back if the provider fails so that the retry can send it.
// A notice is sent only while D1's order is still at the version it speaks for: one overtaken by a
// newer state (a "granted" arriving after the hold expired: reordered, retried, replayed from the
// dead letters) would tell the buyer something no longer true, so it is dropped.
import { findBuyerPhone } from "../db/buyers";
import { findEvent } from "../db/events";
import { claimNotification, notificationId, releaseNotification } from "../db/notifications";
import { orderVersion } from "../db/orders";
import { readSwitches } from "../db/settings";
import type { NotificationMessage } from "../lib/hold-record";
import { backoffSeconds } from "./orders";
import { rehearsalProvider, type SmsProvider, smsProviderFor, suppressedProvider } from "./sms-provider";

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
	const sms = smsProviderFor(env, fetcher);
	const providers = new Map<string, Promise<SmsProvider>>();
	for (const m of batch.messages) {
		const n = m.body;
		// A rehearsal (模拟开盘) never texts anyone; the operator's "SMS off" switch neither. Both are still
		// recorded (the console shows them), under the provider that says why nothing was sent.
		const chosen =
			providers.get(n.eventId) ??
			Promise.all([findEvent(env, n.eventId), readSwitches(env, n.eventId)]).then(([event, f]) =>
				event?.rehearsalOf ? rehearsalProvider : f.smsOff ? suppressedProvider : sms,
			);
		providers.set(n.eventId, chosen);
		const id = notificationId(n.holdId, n.kind);
		try {
			const current = await orderVersion(env, n.holdId);
			if (current !== null && current > n.version) {
				console.info("notice overtaken by a newer state of its hold; not sent", { id, version: n.version, current });
				m.ack();
				continue;
			}
			const phone = await findBuyerPhone(env, n.eventId, n.buyerId);
			const body = smsText(n);
			const provider = await chosen;
			const claimed = await claimNotification(env, {
				id,
				eventId: n.eventId,
				buyerId: n.buyerId,
				holdId: n.holdId,
				kind: n.kind,
				phone,
				body,
				provider: provider.name,
			});
			if (claimed && phone) {
				try {
					await provider.send({ id, to: phone, body });
				} catch (err) {
					await releaseNotification(env, id);
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
