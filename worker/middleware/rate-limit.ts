// Layered rate limits (docs/OPERATIONS.md): per-isolate token buckets per client address and per
// buyer, then the Rate Limiting binding per address across the location. Every refusal is
// 429 rate_limited with Retry-After.

import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { type BucketLimits, TokenBuckets } from "../../lib/token-bucket";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";

/** Cloudflare sets CF-Connecting-IP at the edge; locally a load generator may set it to simulate a crowd. */
export function clientAddress(c: Context<AppEnv>): string {
	return c.req.header("cf-connecting-ip") ?? "local";
}

export interface BucketOptions {
	/** Names the bucket family in errors and logs. */
	name: string;
	/** The key to limit by, or undefined to let the request through unlimited. */
	key: (c: Context<AppEnv>) => string | undefined;
	limits: (env: Env) => BucketLimits;
}

export function isolateRateLimit(options: BucketOptions) {
	if (!options.name) throw new Error("isolateRateLimit: name is required");
	const buckets = new TokenBuckets();
	return createMiddleware<AppEnv>(async function isolateRateLimit(c, next) {
		const key = options.key(c);
		if (key !== undefined) {
			const taken = buckets.take(key, options.limits(c.env));
			if (!taken.ok) {
				throw new ApiError("rate_limited", `Too many requests (${options.name}); slow down.`, {
					retryAfter: taken.retryAfterSeconds,
				});
			}
		}
		await next();
	});
}

/**
 * The Rate Limiting binding: one counter per address per Cloudflare location (10 s periods), across
 * isolates. It guards what costs the platform — requests that go on to a Durable Object or D1 —
 * and is skipped by answers made from isolate memory (a sold-out flag), which the isolate bucket
 * already bounds. (Locally Miniflare emulates it with a Durable Object write per call.)
 */
export async function limitAddressAcrossIsolates(c: Context<AppEnv>): Promise<void> {
	const { success } = await c.env.IP_RATE_LIMITER.limit({ key: clientAddress(c) });
	if (!success) throw new ApiError("rate_limited", "Too many requests from this address.", { retryAfter: 10 });
}

export function addressRateLimit() {
	return createMiddleware<AppEnv>(async function addressRateLimit(c, next) {
		await limitAddressAcrossIsolates(c);
		await next();
	});
}

export function envLimits(burst: string, rate: string): BucketLimits {
	return { burst: Number(burst), ratePerSecond: Number(rate) };
}

/** Every API request, per client address, per isolate: a flood guard sized for carrier-grade NAT. */
export const addressBucket = isolateRateLimit({
	name: "address",
	key: clientAddress,
	limits: (env) => envLimits(env.IP_BURST, env.IP_RATE_PER_SECOND),
});

/**
 * Session-authenticated requests, per buyer, per isolate: honest clicking never comes near it.
 * Applied by buyerSession itself, so no buyer route can forget it.
 */
export const buyerRateLimit = isolateRateLimit({
	name: "buyer",
	key: (c) => {
		// Unset on routes without buyerSession; those requests are not a buyer's to count.
		const session: { eventId: string; buyerId: string } | undefined = c.get("session");
		return session ? `${session.eventId}:${session.buyerId}` : undefined;
	},
	limits: (env) => envLimits(env.BUYER_BURST, env.BUYER_RATE_PER_SECOND),
});
