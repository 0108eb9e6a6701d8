// A burst of public reads, as the opening crowd makes it: many clients at once reading the event and its
// catalogue, real and made-up ids mixed. Every answer must be the API's (200 or 404 JSON), never a 5xx:
// nothing one request started (a Cache API read, a D1 query) may be handed to another request.
import { describe, expect, it } from "vitest";
import { call, seedEvent, uniqueId } from "./helpers";

const CLIENTS = 50;
const READS_PER_CLIENT = 36;

describe("a burst of public reads", () => {
	it("answers every read with 200 or 404 JSON, never a 5xx", async () => {
		const ev = await seedEvent({ listings: 20, buyers: 0 });
		const unknown = Array.from({ length: 10 }, () => uniqueId("nope"));
		const statuses = new Map<string, number>();
		const failures: string[] = [];
		await Promise.all(
			Array.from({ length: CLIENTS }, async (_, client) => {
				for (let i = 0; i < READS_PER_CLIENT; i++) {
					const real = (client + i) % 3 !== 0;
					const id = real ? ev.eventId : (unknown[(client * 7 + i) % unknown.length] ?? "x");
					const path = i % 2 === 0 ? `/api/events/${id}` : `/api/events/${id}/listings`;
					const headers = { "cf-connecting-ip": `2001:db8::b:${client}` };
					if (client % 5 === 0) {
						// An impatient client (a bot retrying every few ms) gives up on its request mid-flight.
						await call(path, { headers, signal: AbortSignal.timeout(1) }).then(
							(r) => r.body?.cancel(),
							() => undefined,
						);
						continue;
					}
					const res = await call(path, { headers });
					const type = res.headers.get("content-type") ?? "";
					const text = await res.text();
					const key = `${res.status} ${type.split(";")[0]}`;
					statuses.set(key, (statuses.get(key) ?? 0) + 1);
					const expected = real ? 200 : 404;
					if (res.status !== expected || !type.startsWith("application/json")) {
						failures.push(`${path} → ${res.status} ${type}: ${text.slice(0, 200)}`);
					}
				}
			}),
		);
		expect(failures.slice(0, 5), JSON.stringify([...statuses])).toEqual([]);
	});
});
