// Two layers in front of D1 for hot, small, JSON data: isolate memory, then the Cache API (shared by
// the isolates of one Cloudflare location). Both expire after the caller's TTL; writes through this
// isolate evict both layers here, other locations catch up when their copy expires.
//
// Only plain JSON crosses requests: the Cache API's Response is read to a value inside the request
// that fetched it and never kept (issue 10). A miss (an unknown id) is remembered by the memory layer
// only: writing the Cache API for every random id a flood makes up would cost a write per request.
import type { TtlCache } from "../../lib/ttl-cache";

const cacheUrl = (key: string) => `https://edge-cache.kaipan.internal/${encodeURIComponent(key)}`;

export function edgeCached<T>(
	memory: TtlCache<T>,
	key: string,
	ttlSeconds: number,
	load: () => Promise<T>,
	isMiss: (value: T) => boolean = () => false,
): Promise<T> {
	return memory.get(key, async () => {
		const cache = caches.default;
		const hit = await cache.match(cacheUrl(key));
		if (hit) return (await hit.json()) as T;
		const value = await load();
		if (isMiss(value)) return value;
		await cache.put(
			cacheUrl(key),
			new Response(JSON.stringify(value), {
				headers: { "content-type": "application/json", "cache-control": `max-age=${ttlSeconds}` },
			}),
		);
		return value;
	});
}

export async function evictEdgeCached<T>(memory: TtlCache<T>, key: string): Promise<void> {
	memory.delete(key);
	await caches.default.delete(cacheUrl(key));
}
