// Entry point: the HTTP app, the queue consumers, the Cron reconciler, and the Durable Object classes
// wrangler binds. Only dispatch here; each job lives in its own module.
import type { HoldRecord, NotificationMessage } from "../lib/hold-record";
import { consumeDeadLetters, DLQ_SUFFIX } from "../queue-consumers/dead-letters";
import { consumeLedger, type LedgerMessage } from "../queue-consumers/ledger";
import { consumeNotifications } from "../queue-consumers/notifications";
import { consumeOrders } from "../queue-consumers/orders";
import { reconcileOrders } from "../reconciler/reconcile-orders";
import { app } from "./app";
import { prepareDueEvents } from "./opening/prepare";

export { BuyerQuota } from "../durable-objects/buyer-quota";
export { DashboardHub } from "../durable-objects/dashboard-hub";
export { EventLedger } from "../durable-objects/event-ledger";
export { FeedInput } from "../durable-objects/feed-input";
export { HubShard } from "../durable-objects/hub-shard";
export { ListingInventory } from "../durable-objects/listing-inventory";

export default {
	fetch: app.fetch,
	async queue(batch, env) {
		switch (batch.queue) {
			case "kaipan-orders":
				return consumeOrders(batch as MessageBatch<HoldRecord>, env);
			case "kaipan-ledger":
				return consumeLedger(batch as MessageBatch<LedgerMessage>, env);
			case "kaipan-notifications":
				return consumeNotifications(batch as MessageBatch<NotificationMessage>, env);
			default:
				if (batch.queue.endsWith(DLQ_SUFFIX)) return consumeDeadLetters(batch, env);
				console.error("message for an unknown queue; retrying", { queue: batch.queue });
				batch.retryAll();
		}
	},
	// wrangler.toml [triggers]: every minute, bring D1's orders back to parity with the inventory objects.
	async scheduled(controller, env) {
		await reconcileOrders(env, controller.scheduledTime);
		// Events about to open: terms frozen, objects created in their region (docs/SCALE.md fix 1).
		await prepareDueEvents(env, controller.scheduledTime);
	},
} satisfies ExportedHandler<Env, unknown>;
