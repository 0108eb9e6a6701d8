// Buyers for the benchmark and the simulator: registered through the admin API with known access
// codes, logged in through KaipanClient (the same client the buyer page uses), each from its own
// address (CF-Connecting-IP, as Cloudflare sets it) so per-address limits behave as in production.
import { KaipanClient } from "../../client/kaipan-client.ts";
import { newNonce, signRequest } from "../../client/signing.ts";
import { adminRequest } from "../demo-data.mjs";
import { forEachLimited, type HttpRequest, type Tally, timedFetch } from "./load.mts";

export interface BuyerCredentials {
	id: string;
	accessCode: string;
}

/** The admin API takes at most 5,000 buyers per call. */
const REGISTER_CHUNK = 5_000;

/** Registers (or re-registers, replacing their codes) buyers with the codes given. */
export async function registerBuyers(
	baseUrl: string,
	adminToken: string,
	eventId: string,
	buyers: readonly BuyerCredentials[],
): Promise<void> {
	for (let i = 0; i < buyers.length; i += REGISTER_CHUNK) {
		const chunk = buyers.slice(i, i + REGISTER_CHUNK).map((b) => ({ id: b.id, accessCode: b.accessCode }));
		await adminRequest(baseUrl, adminToken, "PUT", `/api/admin/events/${eventId}/buyers`, { buyers: chunk });
	}
}

/** `prefix0001`…: ids and access codes that a run can re-create without reading anything back. */
export function numberedBuyers(prefix: string, count: number, from = 1): BuyerCredentials[] {
	return Array.from({ length: count }, (_, i) => {
		const n = String(from + i).padStart(5, "0");
		return { id: `${prefix}${n}`, accessCode: `code${prefix}${n}` };
	});
}

/** A stable address per buyer from the IPv6 documentation prefix: a crowd from many places. */
export function addressOf(buyerId: string): string {
	let h = 2166136261;
	for (const ch of buyerId) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
	return `2001:db8::${(h >>> 16).toString(16)}:${(h & 0xffff).toString(16)}`;
}

export interface Buyer {
	id: string;
	client: KaipanClient;
}

export interface BuyerPool {
	buyers: Buyer[];
	close(): Promise<void>;
}

/**
 * Logs every buyer in with at most `concurrency` requests in flight. Each buyer keeps its own
 * KaipanClient (session, signing key, purchase token); all share one bounded keep-alive agent.
 */
export async function loginBuyers(options: {
	baseUrl: string;
	eventId: string;
	credentials: readonly BuyerCredentials[];
	connections: number;
	/** Where the shared agent records each request, by path; asked per request, so callers can switch phases. */
	tallyFor: (path: string) => Tally;
}): Promise<BuyerPool> {
	const agent = timedFetch(options.connections, options.tallyFor);
	const buyers: Buyer[] = options.credentials.map((c) => ({
		id: c.id,
		client: new KaipanClient({
			baseUrl: options.baseUrl,
			fetch: agent.fetch,
			headers: { "cf-connecting-ip": addressOf(c.id) },
		}),
	}));
	await forEachLimited(buyers, options.connections, async (buyer, i) => {
		const code = options.credentials[i]?.accessCode ?? "";
		await withRetries(() => buyer.client.login(options.eventId, buyer.id, code));
	});
	return { buyers, close: agent.close };
}

/** A 429/503 is retried after its Retry-After (with jitter), a bounded number of times. */
export async function withRetries<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await fn();
		} catch (err) {
			const retryAfter = retryAfterMs(err, attempt);
			if (retryAfter === null || attempt >= attempts) throw err;
			await new Promise((r) => setTimeout(r, retryAfter));
		}
	}
}

/** How long to wait before retrying `err`, or null when it is not worth a retry. */
export function retryAfterMs(err: unknown, attempt: number): number | null {
	const status = (err as { status?: unknown }).status;
	if (status !== 429 && status !== 503) return null;
	const header = (err as { retryAfter?: unknown }).retryAfter;
	const base = typeof header === "number" && header > 0 ? header * 1000 : 250 * 2 ** attempt;
	// Full jitter on top of the server's hint, so a crowd told "1 s" does not come back in one wave.
	return Math.min(10_000, base * (0.5 + Math.random()));
}

/**
 * A claim signed exactly as KaipanClient signs it (client/signing.ts), prepared ahead of a measured
 * phase so that the generator spends its share of the two cores sending, not hashing.
 */
export async function signedClaim(buyer: Buyer, listingId: string): Promise<HttpRequest> {
	const session = buyer.client.session;
	if (!session) throw new Error(`${buyer.id} is not logged in`);
	const purchaseToken = await buyer.client.purchaseToken();
	const path = `/api/events/${session.eventId}/claims`;
	const body = JSON.stringify({ listingId });
	const timestamp = String(Date.now());
	const nonce = newNonce();
	const signature = await signRequest(session.signingKey, {
		method: "POST",
		pathAndQuery: path,
		timestamp,
		nonce,
		body,
	});
	return {
		method: "POST",
		path,
		body,
		headers: {
			authorization: `Bearer ${session.sessionToken}`,
			"cf-connecting-ip": addressOf(buyer.id),
			"content-type": "application/json",
			"x-purchase-token": purchaseToken,
			"x-timestamp": timestamp,
			"x-nonce": nonce,
			"x-signature": signature,
		},
	};
}
