// A small typed client for buyers: logs in, fetches purchase tokens, signs claims and cancels.
// Used by the buyer page (bundled for the browser), the simulator and the tests (Node, workerd).
// The bodies it reads are client/api-types.ts; re-exported so that callers of the client need one import.
import type { Hold, Listing, PublicEvent, PurchaseToken, Session } from "./api-types";
import { newNonce, signRequest } from "./signing";

export type { Hold, Listing, PublicEvent, Session };

export class KaipanApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly retryAfter: number | null,
		readonly body: Record<string, unknown>,
	) {
		super(message);
		this.name = "KaipanApiError";
	}
}

export interface KaipanClientOptions {
	/** Where the API lives; "" means the page's own origin. */
	baseUrl?: string;
	fetch?: typeof fetch;
	/**
	 * "bearer" (default) sends the session token in Authorization; "cookie" relies on the HttpOnly
	 * kp_session cookie the login set, so page scripts never need to keep the token.
	 */
	auth?: "bearer" | "cookie";
	/** The clock used for X-Timestamp; tests and skewed devices can correct it. */
	now?: () => number;
	/** Extra headers on every request (a load generator may set CF-Connecting-IP locally). */
	headers?: Record<string, string>;
}

/** Refresh a purchase token this long before it expires. */
const TOKEN_MARGIN_MS = 10_000;

export class KaipanClient {
	session: Session | null = null;
	private purchase: { token: string; expiresAt: number } | null = null;
	private readonly baseUrl: string;
	private readonly doFetch: typeof fetch;
	private readonly auth: "bearer" | "cookie";
	private readonly now: () => number;
	private readonly extraHeaders: Record<string, string>;

	constructor(options: KaipanClientOptions = {}) {
		this.baseUrl = options.baseUrl ?? "";
		this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
		this.auth = options.auth ?? "bearer";
		this.now = options.now ?? Date.now;
		this.extraHeaders = options.headers ?? {};
	}

	async getEvent(eventId: string): Promise<{ event: PublicEvent; serverTime: string }> {
		return this.request("GET", `/api/events/${encodeURIComponent(eventId)}`);
	}

	async getListings(eventId: string): Promise<{ listings: Listing[]; asOf: string }> {
		return this.request("GET", `/api/events/${encodeURIComponent(eventId)}/listings`);
	}

	async login(eventId: string, buyerId: string, accessCode: string): Promise<Session> {
		this.session = await this.request<Session>("POST", "/api/auth/login", { eventId, buyerId, accessCode });
		this.purchase = null;
		return this.session;
	}

	async logout(): Promise<void> {
		await this.request("POST", "/api/auth/logout");
		this.session = null;
		this.purchase = null;
	}

	async myHolds(): Promise<{ holds: Hold[] }> {
		return this.request("GET", "/api/me/holds");
	}

	/** A purchase token for the session's event, reused until shortly before it expires. */
	async purchaseToken(): Promise<string> {
		const session = this.requireSession();
		if (this.purchase && this.purchase.expiresAt - TOKEN_MARGIN_MS > this.now()) return this.purchase.token;
		const res = await this.request<PurchaseToken>(
			"POST",
			`/api/events/${encodeURIComponent(session.eventId)}/purchase-token`,
		);
		this.purchase = { token: res.purchaseToken, expiresAt: Date.parse(res.expiresAt) };
		return res.purchaseToken;
	}

	/** Claims a unit: 201 new hold, or 200 when this buyer already holds it (`created` tells which). */
	async claim(listingId: string): Promise<Hold & { created: boolean }> {
		const session = this.requireSession();
		const path = `/api/events/${encodeURIComponent(session.eventId)}/claims`;
		const send = async () => {
			const token = await this.purchaseToken();
			return this.signed("POST", path, { listingId }, { "x-purchase-token": token });
		};
		let res = await send();
		if (res.status === 403 && (await peekCode(res)) === "bad_purchase_token") {
			// Expired or issued to an earlier session: fetch a fresh one once.
			this.purchase = null;
			res = await send();
		}
		const body = await this.parse<Hold>(res);
		return { ...body, created: res.status === 201 };
	}

	async cancel(holdId: string): Promise<Hold> {
		return this.parse(await this.signed("POST", `/api/holds/${encodeURIComponent(holdId)}/cancel`, undefined, {}));
	}

	// --- internals -------------------------------------------------------------------------------

	private requireSession(): Session {
		if (!this.session) throw new Error("log in first");
		return this.session;
	}

	private headers(extra: Record<string, string> = {}): Record<string, string> {
		const h: Record<string, string> = { ...this.extraHeaders, ...extra };
		if (this.auth === "bearer" && this.session) h.authorization = `Bearer ${this.session.sessionToken}`;
		return h;
	}

	private async signed(method: string, path: string, body: unknown, extra: Record<string, string>): Promise<Response> {
		const session = this.requireSession();
		const text = body === undefined ? "" : JSON.stringify(body);
		const timestamp = String(this.now());
		const nonce = newNonce();
		const signature = await signRequest(session.signingKey, {
			method,
			pathAndQuery: path,
			timestamp,
			nonce,
			body: text,
		});
		return this.doFetch(this.baseUrl + path, {
			method,
			headers: this.headers({
				...extra,
				...(text ? { "content-type": "application/json" } : {}),
				"x-timestamp": timestamp,
				"x-nonce": nonce,
				"x-signature": signature,
			}),
			body: text || undefined,
		});
	}

	private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
		const res = await this.doFetch(this.baseUrl + path, {
			method,
			headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }),
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		return this.parse<T>(res);
	}

	private parse<T>(res: Response): Promise<T> {
		return parseApiResponse<T>(res);
	}
}

/** An API answer as data, or a KaipanApiError carrying its status, code and Retry-After. */
export async function parseApiResponse<T>(res: Response): Promise<T> {
	if (res.status === 204) return undefined as T;
	const text = await res.text();
	const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
	if (!res.ok) {
		const error = (body.error ?? {}) as { code?: string; message?: string };
		const retry = res.headers.get("retry-after");
		throw new KaipanApiError(
			res.status,
			error.code ?? "unknown",
			error.message ?? `HTTP ${res.status}`,
			retry === null ? null : Number(retry),
			body,
		);
	}
	return body as T;
}

async function peekCode(res: Response): Promise<string | undefined> {
	try {
		const body = (await res.clone().json()) as { error?: { code?: string } };
		return body.error?.code;
	} catch {
		return undefined;
	}
}
