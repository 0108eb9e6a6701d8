// Notifications in D1: the outbox of SMS, one row per (hold, kind). The row is claimed before the
// provider is called, which is what makes each message go out at most once however often the queue
// delivers it; the operator console lists the rows.
import { and, eq } from "drizzle-orm";
import { type D1Env, dbOf, schema } from "./client";
import { keyOrder, type Page, pageOf, pastCursor, type SortKey } from "./pagination";

export type NotificationRow = typeof schema.notifications.$inferSelect;

/** A notification to record: createdAt defaults to D1's clock at the insert. */
export type NewNotification = typeof schema.notifications.$inferInsert;

/** The id of a hold's notification of one kind: the same message, however often it is delivered. */
export function notificationId(holdId: string, kind: string): string {
	return `${holdId}:${kind}`;
}

/** Records the notification if its id is new: true for the one caller that should send it, false after. */
export async function claimNotification(env: D1Env, notification: NewNotification): Promise<boolean> {
	const claimed = await dbOf(env)
		.insert(schema.notifications)
		.values(notification)
		.onConflictDoNothing()
		.returning({ id: schema.notifications.id });
	return claimed.length > 0;
}

/** Gives a claim back (the provider failed) so that the queue's retry can claim and send it again. */
export async function releaseNotification(env: D1Env, id: string): Promise<void> {
	await dbOf(env).delete(schema.notifications).where(eq(schema.notifications.id, id));
}

/** One page of an event's notifications, newest first (by createdAt, then id), past the cursor's key. */
export async function notificationsPage(
	env: D1Env,
	eventId: string,
	before: SortKey | null,
	limit: number,
): Promise<Page<NotificationRow>> {
	const n = schema.notifications;
	const rows = await dbOf(env)
		.select()
		.from(n)
		.where(and(eq(n.eventId, eventId), pastCursor(n.createdAt, n.id, before, "desc")))
		.orderBy(...keyOrder(n.createdAt, n.id, "desc"))
		.limit(limit + 1);
	return pageOf(rows, limit, (r) => [r.createdAt, r.id]);
}
