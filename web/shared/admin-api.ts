// Operator requests from the staff pages: the admin token typed in by the operator is kept in
// sessionStorage (gone when the tab closes) and sent as Bearer; errors come back as KaipanApiError,
// the same class the buyer client throws, so one describeError() serves every page.
import type { Order, Paged } from "../../client/api-types";
import { parseApiResponse } from "../../client/kaipan-client";

const TOKEN_KEY = "kp_admin_token";
const EVENT_KEY = "kp_event";

export function adminToken(): string {
	return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function setAdminToken(token: string): void {
	sessionStorage.setItem(TOKEN_KEY, token);
}

/** The event the staff pages work on: ?event= first, then the last one used in this tab, then "demo". */
export function currentEventId(): string {
	return new URLSearchParams(location.search).get("event") ?? sessionStorage.getItem(EVENT_KEY) ?? "demo";
}

export function setEventId(eventId: string): void {
	sessionStorage.setItem(EVENT_KEY, eventId);
}

export async function adminApi<T>(method: string, path: string, body?: unknown): Promise<T> {
	const res = await fetch(path, {
		method,
		headers: {
			authorization: `Bearer ${adminToken()}`,
			...(body === undefined ? {} : { "content-type": "application/json" }),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return parseApiResponse<T>(res);
}

/** Every order of the event, page by page. */
export async function allOrders(eventId: string): Promise<Order[]> {
	const all: Order[] = [];
	let cursor: string | null = null;
	do {
		const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
		const page: { orders: Order[] } & Paged = await adminApi(
			"GET",
			`/api/admin/events/${encodeURIComponent(eventId)}/orders?limit=1000${query}`,
		);
		all.push(...page.orders);
		cursor = page.nextCursor;
	} while (cursor);
	return all;
}
