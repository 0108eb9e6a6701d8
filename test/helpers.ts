// Test helpers: every call goes through the real worker (Hono app, Durable Objects, D1, queues) inside
// workerd. Each test makes its own event id, so tests never see each other's state.
import { env, exports } from "cloudflare:workers";
import { expect, vi } from "vitest";
import { newNonce, signRequest } from "../client/signing";
import type { HoldRecord } from "../lib/hold-record";
import { checkAnswer } from "./openapi-conformance";

/** Addresses come from the IPv6 documentation prefix: every buyer its own, like a real crowd. */
export const ADMIN = { authorization: `Bearer ${env.ADMIN_TOKEN}`, "cf-connecting-ip": "2001:db8::ad" };

export function addressOf(buyerId: string): string {
	let h = 0;
	for (const ch of buyerId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
	return `2001:db8::${(h & 0xffff).toString(16)}:${((h >>> 16) & 0xffff).toString(16)}`;
}

let counter = 0;
export function uniqueId(prefix: string): string {
	counter += 1;
	return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

export function call(path: string, init: RequestInit = {}): Promise<Response> {
	return fetchWorker(`https://kaipan.test${path}`, init);
}

/**
 * The worker's answer to a request, checked against the OpenAPI document it serves
 * (test/openapi-conformance.ts; what does not match fails the test). Also a `fetch` for clients.
 */
export async function fetchWorker(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
	const request = new Request(input, init);
	return checked(request, await exports.default.fetch(request));
}

/** An answer got some other way (the app with another env), checked against the document like call()'s. */
export async function checked(request: Pick<Request, "method" | "url">, response: Response): Promise<Response> {
	await checkAnswer(request, response, expect.getState().currentTestName);
	return response;
}

export function json(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
	return call(path, {
		method,
		headers: { "content-type": "application/json", ...headers },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
}

export function admin(method: string, path: string, body?: unknown) {
	return json(method, path, body, ADMIN);
}

export interface EventSetup {
	listings?: number;
	stock?: number;
	buyers?: number;
	perBuyerLimit?: number;
	holdSeconds?: number;
	open?: boolean;
	/** The event's id (default: a new one starting with `prefix`, "ev" unless said). */
	eventId?: string;
	prefix?: string;
	/**
	 * Event fields beyond the defaults, or in their place (name, startsAt, mode, batchSize, …). A start
	 * in the past is written last: listings and buyers can only go in before the start.
	 */
	event?: Record<string, unknown>;
	/** Listing i's price in fen (default: 3,000,000.00 yuan plus i fen). */
	priceCents?: (i: number) => number;
	/** The phone every buyer has, or null for none (default +8613800000000). */
	phone?: string | null;
}

export interface SeededEvent {
	eventId: string;
	/** The event as it was written (PUT again with a change to test an edit). */
	body: { name: string; startsAt: string; endsAt: string; [field: string]: unknown };
	listingIds: string[];
	buyerIds: string[];
	codes: Map<string, string>;
}

export async function seedEvent(setup: EventSetup = {}): Promise<SeededEvent> {
	const eventId = setup.eventId ?? uniqueId(setup.prefix ?? "ev");
	const now = Date.now();
	const body: SeededEvent["body"] = {
		name: `Test opening ${eventId}`,
		startsAt: new Date(now + 3_600_000).toISOString(),
		endsAt: new Date(now + 7_200_000).toISOString(),
		holdSeconds: setup.holdSeconds ?? 900,
		perBuyerLimit: setup.perBuyerLimit ?? 1,
		...setup.event,
	};
	const started = Date.parse(body.startsAt) <= Date.now();
	const first = started ? { ...body, startsAt: new Date(Date.now() + 3_600_000).toISOString() } : body;
	const put = await admin("PUT", `/api/admin/events/${eventId}`, first);
	expect(put.status).toBe(200);
	const listingIds = Array.from({ length: setup.listings ?? 3 }, (_, i) => `L${i + 1}`);
	const lr = await admin("PUT", `/api/admin/events/${eventId}/listings`, {
		listings: listingIds.map((id, i) => ({
			id,
			building: "1",
			floor: i + 1,
			unit: "01",
			layout: "3室2厅",
			areaM2: 98.5,
			priceCents: setup.priceCents ? setup.priceCents(i) : 3_000_000_00 + i,
			stock: setup.stock ?? 1,
		})),
	});
	expect(lr.status).toBe(200);
	const buyerIds = Array.from({ length: setup.buyers ?? 3 }, (_, i) => `B${i + 1}`);
	const phone = setup.phone === undefined ? "+8613800000000" : setup.phone;
	if (buyerIds.length > 0) {
		const br = await admin("PUT", `/api/admin/events/${eventId}/buyers`, {
			buyers: buyerIds.map((id) => ({ id, ...(phone === null ? {} : { phone }), accessCode: `access${id}` })),
		});
		expect(br.status).toBe(200);
	}
	if (started) expect((await admin("PUT", `/api/admin/events/${eventId}`, body)).status).toBe(200);
	if (setup.open ?? true) {
		const sr = await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" });
		expect(sr.status).toBe(200);
	}
	return { eventId, body, listingIds, buyerIds, codes: new Map(buyerIds.map((id) => [id, `access${id}`])) };
}

export interface Login {
	buyerId: string;
	eventId: string;
	sessionToken: string;
	signingKey: string;
	expiresAt: string;
}

export async function login(eventId: string, buyerId: string, accessCode = `access${buyerId}`): Promise<Login> {
	const res = await json(
		"POST",
		"/api/auth/login",
		{ eventId, buyerId, accessCode },
		{ "cf-connecting-ip": addressOf(buyerId) },
	);
	expect(res.status).toBe(200);
	return res.json<Login>();
}

/** The session id inside a session token (its payload is readable; only its signature is secret). */
export function sessionIdOf(s: Pick<Login, "sessionToken">): string {
	const payload = s.sessionToken.split(".")[0] ?? "";
	return (JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { s: string }).s;
}

export function bearer(session: Pick<Login, "sessionToken" | "buyerId">) {
	return { authorization: `Bearer ${session.sessionToken}`, "cf-connecting-ip": addressOf(session.buyerId) };
}

const purchaseTokens = new Map<string, Promise<string>>();

export async function purchaseToken(session: Login): Promise<Response> {
	return call(`/api/events/${session.eventId}/purchase-token`, { method: "POST", headers: bearer(session) });
}

function cachedPurchaseToken(session: Login): Promise<string> {
	let token = purchaseTokens.get(session.sessionToken);
	if (!token) {
		token = purchaseToken(session).then(async (res) => {
			if (res.status === 200) return (await res.json<{ purchaseToken: string }>()).purchaseToken;
			purchaseTokens.delete(session.sessionToken); // e.g. not open yet: ask again next time
			return "";
		});
		purchaseTokens.set(session.sessionToken, token);
	}
	return token;
}

export interface SignedOptions {
	/** Raw body text exactly as sent; default: JSON of `body`. */
	rawBody?: string;
	timestamp?: number;
	nonce?: string;
	/** Overrides the computed signature (or `null` to send none). */
	signature?: string | null;
	signingKey?: string;
	/** X-Purchase-Token to send; `null` sends none. Default: a fresh valid token (claims only). */
	purchaseToken?: string | null;
	/** Signs this path but sends the request to `path` (a tampered target). */
	signedPath?: string;
	/** Signs this body text but sends the real one (a tampered body). */
	signedBody?: string;
	/** Headers to leave out entirely. */
	omit?: string[];
	headers?: Record<string, string>;
}

/** A request signed as the client module signs it, with every part overridable for adversarial tests. */
export async function signed(session: Login, method: string, path: string, body: unknown, o: SignedOptions = {}) {
	const text = o.rawBody ?? (body === undefined ? "" : JSON.stringify(body));
	const timestamp = o.timestamp ?? Date.now();
	const nonce = o.nonce ?? newNonce();
	const signature =
		o.signature === undefined
			? await signRequest(o.signingKey ?? session.signingKey, {
					method,
					pathAndQuery: o.signedPath ?? path,
					timestamp,
					nonce,
					body: o.signedBody ?? text,
				})
			: o.signature;
	const headers: Record<string, string> = {
		...bearer(session),
		"content-type": "application/json",
		"x-timestamp": String(timestamp),
		"x-nonce": nonce,
		...(signature === null ? {} : { "x-signature": signature }),
		...o.headers,
	};
	const token =
		o.purchaseToken === undefined && path.endsWith("/claims") ? await cachedPurchaseToken(session) : o.purchaseToken;
	if (token) headers["x-purchase-token"] = token;
	for (const name of o.omit ?? []) delete headers[name];
	return call(path, { method, headers, body: text || undefined });
}

export function claim(session: Login, listingId: string, body: unknown = { listingId }, o: SignedOptions = {}) {
	return signed(session, "POST", `/api/events/${session.eventId}/claims`, body, o);
}

export function cancel(session: Login, holdId: string, o: SignedOptions = {}) {
	return signed(session, "POST", `/api/holds/${holdId}/cancel`, undefined, o);
}

export interface OrderRow {
	holdId: string;
	listingId: string;
	buyerId: string;
	status: string;
}

export async function orders(eventId: string): Promise<OrderRow[]> {
	const all: OrderRow[] = [];
	let cursor: string | null = null;
	do {
		const q: string = cursor ? `&cursor=${cursor}` : "";
		const res = await admin("GET", `/api/admin/events/${eventId}/orders?limit=1000${q}`);
		expect(res.status).toBe(200);
		const page = await res.json<{ orders: OrderRow[]; nextCursor: string | null }>();
		all.push(...page.orders);
		cursor = page.nextCursor;
	} while (cursor);
	return all;
}

/** Waits until D1's orders satisfy `check` (they trail the inventory objects by about a second). */
export async function eventuallyOrders(eventId: string, check: (rows: OrderRow[]) => void, timeout = 10_000) {
	return vi.waitFor(
		async () => {
			const rows = await orders(eventId);
			check(rows);
			return rows;
		},
		{ timeout, interval: 100 },
	);
}

export async function errorCode(res: Response): Promise<string> {
	const body = await res.json<{ error?: { code?: string } }>();
	return body.error?.code ?? `(no error code, status ${res.status})`;
}

/** A hold as an inventory object would send it to the orders queue (for consumer tests). */
export function holdRecord(overrides: Partial<HoldRecord> = {}): HoldRecord {
	const now = Date.now();
	return {
		holdId: uniqueId("h"),
		eventId: uniqueId("ev"),
		listingId: "L1",
		buyerId: "B1",
		status: "held",
		priceCents: 100,
		expiresAt: now + 60_000,
		createdAt: now,
		updatedAt: now,
		version: 1,
		...overrides,
	};
}

/** A queue binding that keeps what it is sent, so a test decides when (and whether) it is consumed. */
export function capturingQueue<T>(): { queue: Queue; sent: T[] } {
	const sent: T[] = [];
	const queue = {
		send: async (body: T) => {
			sent.push(body);
		},
		sendBatch: async (messages: Iterable<MessageSendRequest<T>>) => {
			for (const m of messages) sent.push(m.body);
		},
	} as unknown as Queue;
	return { queue, sent };
}
