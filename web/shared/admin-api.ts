// Staff requests from the staff pages. The staff token (an account's own, or the ADMIN_TOKEN) is kept
// in sessionStorage (gone when the tab closes) and sent as Bearer; errors come back as KaipanApiError,
// the same class the buyer client throws, so one describeError() serves every page. A 401 while signed
// in means the token was revoked: the page is told (onSignedOut) and forgets it.
//
// The event the page works on has one source of truth: the URL's ?event= (issue 13: the console acted
// on the URL's event while showing the one typed). Choosing another event rewrites the URL in place.
import type { Order, Paged } from "../../client/api-types";
import { parseApiResponse } from "../../client/kaipan-client";
import { type Actor, roleAllows, type StaffRole } from "../../lib/staff-roles";

export type { StaffRole };

const TOKEN_KEY = "kp_admin_token";
const EVENT_KEY = "kp_event";

/** API.md: every id matches this. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function adminToken(): string {
	return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function setAdminToken(token: string): void {
	if (token) sessionStorage.setItem(TOKEN_KEY, token);
	else sessionStorage.removeItem(TOKEN_KEY);
}

/** The event the staff pages work on: ?event= first, then the last one used in this tab, then "demo". */
export function currentEventId(): string {
	return new URLSearchParams(location.search).get("event") ?? sessionStorage.getItem(EVENT_KEY) ?? "demo";
}

/** Makes `eventId` the page's event: in the URL (replaced, not pushed) and for the next page opened. */
export function setEventId(eventId: string): void {
	sessionStorage.setItem(EVENT_KEY, eventId);
	const url = new URL(location.href);
	url.searchParams.set("event", eventId);
	history.replaceState(history.state, "", url);
}

export function eventPath(eventId = currentEventId()): string {
	return `/api/admin/events/${encodeURIComponent(eventId)}`;
}

// --- who is signed in -----------------------------------------------------------------------------

/** `GET /api/admin/whoami`: the signed-in staff member. */
export interface Whoami {
	actor: Actor;
	name: string;
	role: StaffRole;
}

let signedIn: Whoami | null = null;
const signedOutListeners = new Set<() => void>();

export function whoSignedIn(): Whoami | null {
	return signedIn;
}

/** Whether the signed-in member may do what `needed` may (operator ⊇ sales ⊇ viewer). */
export function mayAct(needed: StaffRole): boolean {
	return signedIn !== null && roleAllows(signedIn.role, needed);
}

/** Called when a request answers 401 while signed in (the token was revoked or is unknown). */
export function onSignedOut(fn: () => void): void {
	signedOutListeners.add(fn);
}

/** Signs in with `token`: asks the server who it is. Throws (and keeps nothing) if it is not a staff token. */
export async function signIn(token: string): Promise<Whoami> {
	setAdminToken(token);
	signedIn = null;
	try {
		signedIn = await whoami();
		return signedIn;
	} catch (err) {
		setAdminToken("");
		throw err;
	}
}

export function signOut(): void {
	signedIn = null;
	setAdminToken("");
}

async function whoami(): Promise<Whoami> {
	return adminApi<Whoami>("GET", "/api/admin/whoami");
}

/** Asks again who is signed in (a page left open notices a revoked token within this call). */
export async function recheck(): Promise<void> {
	if (signedIn) await whoami();
}

// --- requests -------------------------------------------------------------------------------------

export async function adminApi<T>(
	method: string,
	path: string,
	body?: unknown,
	headers: Record<string, string> = {},
): Promise<T> {
	return parseApiResponse<T>(await send(method, path, body, headers));
}

async function send(
	method: string,
	path: string,
	body?: unknown,
	headers: Record<string, string> = {},
): Promise<Response> {
	const res = await fetch(path, {
		method,
		headers: {
			...headers,
			authorization: `Bearer ${adminToken()}`,
			...(body === undefined ? {} : { "content-type": "application/json" }),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	if (res.status === 401 && signedIn) {
		signOut();
		for (const fn of signedOutListeners) fn();
	}
	return res;
}

/** Every order of the event, page by page. */
export async function allOrders(eventId: string): Promise<Order[]> {
	const all: Order[] = [];
	let cursor: string | null = null;
	do {
		const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
		const page: { orders: Order[] } & Paged = await adminApi("GET", `${eventPath(eventId)}/orders?limit=1000${query}`);
		all.push(...page.orders);
		cursor = page.nextCursor;
	} while (cursor);
	return all;
}

/** A buyer as staff see them: phone masked for a viewer (docs/API.md "Buyers for staff"). */
export interface BuyerContact {
	id: string;
	name: string | null;
	phone: string | null;
}

/** Every buyer of the event by id, page by page, and whether the phones came masked. */
export async function allBuyers(eventId: string): Promise<{ buyers: Map<string, BuyerContact>; masked: boolean }> {
	const buyers = new Map<string, BuyerContact>();
	let masked = false;
	let cursor: string | null = null;
	do {
		const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
		const page: { buyers: BuyerContact[]; phonesMasked: boolean } & Paged = await adminApi(
			"GET",
			`${eventPath(eventId)}/buyers?limit=1000${query}`,
		);
		for (const b of page.buyers) buyers.set(b.id, b);
		masked = page.phonesMasked;
		cursor = page.nextCursor;
	} while (cursor);
	return { buyers, masked };
}

// --- staff accounts (operator) --------------------------------------------------------------------

export interface StaffMember {
	staffId: string;
	name: string;
	role: StaffRole;
	createdAt: string;
	revokedAt: string | null;
}

export async function listStaff(): Promise<StaffMember[]> {
	return (await adminApi<{ staff: StaffMember[] }>("GET", "/api/admin/staff")).staff;
}

/** The new account with its token, which the server shows this once. */
export async function createStaff(
	name: string,
	role: StaffRole,
): Promise<{ staffId: string; name: string; role: StaffRole; token: string }> {
	return adminApi("POST", "/api/admin/staff", { name, role });
}

export async function revokeStaff(staffId: string): Promise<void> {
	await adminApi("DELETE", `/api/admin/staff/${encodeURIComponent(staffId)}`);
}

// --- the event ledger -----------------------------------------------------------------------------

export interface LedgerHead {
	seq: number;
	hash: string;
	at: string | null;
}

/** The public head of the event's ledger. */
export async function ledgerHead(eventId: string): Promise<LedgerHead> {
	return parseApiResponse(await fetch(`/api/events/${encodeURIComponent(eventId)}/ledger/head`));
}

/** The whole ledger as JSON Lines, as the server exports it. */
export async function ledgerExport(eventId: string): Promise<string> {
	const res = await send("GET", `${eventPath(eventId)}/ledger/export`);
	if (!res.ok) await parseApiResponse(res);
	return res.text();
}
