// notifications queue → SMS. Each (hold, kind) is sent at most once: the D1 row is claimed first, the
// provider is called, and the row is given back if the provider fails so that the retry can send it.
// A notice is sent only while D1's order is still at the version it speaks for: one overtaken by a
// newer state (a "granted" arriving after the hold expired: reordered, retried, replayed from the
// dead letters) would tell the buyer something no longer true, so it is dropped.
import { type UnitPlace, unitLabel } from "../client/unit-label";
import { findBuyerPhone } from "../db/buyers";
import { findEvent } from "../db/events";
import { findListingPlace } from "../db/listings";
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

/**
 * The SMS, in Chinese only: it goes to the buyer's +86 phone, and a text in two languages costs two
 * billed segments and reads as spam (issue 13, defect 10). The unit is named as on the pages
 * ("1号楼 1502", client/unit-label.ts); its listing id only when D1 does not know the unit.
 */
export function smsText(n: NotificationMessage, place: UnitPlace | null = null): string {
	const unit = place ? unitLabel(place) : n.listingId;
	switch (n.kind) {
		case "granted": {
			const until = n.expiresAt ? BEIJING_TIME.format(new Date(n.expiresAt)) : "";
			return `【开盘】您已锁定 ${unit}，请在北京时间 ${until} 前完成认购，逾期自动释放。`;
		}
		case "confirmed":
			return `【开盘】${unit} 认购成功。`;
		case "expired":
			return `【开盘】您对 ${unit} 的锁定已过期，房源已释放。`;
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
			const body = smsText(n, await findListingPlace(env, n.eventId, n.listingId));
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
