import { describe, expect, it } from "vitest";
import { claim, eventuallyOrders, login, seedEvent } from "./helpers";

describe("claim → hold → order", () => {
	it("grants a hold and records it in D1 through the queue", async () => {
		const ev = await seedEvent();
		const s = await login(ev.eventId, "B1");
		const res = await claim(s, "L1");
		expect(res.status).toBe(201);
		const body = await res.json<{ holdId: string; status: string }>();
		expect(body.status).toBe("held");
		const rows = await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(1));
		expect(rows[0]).toMatchObject({ holdId: body.holdId, listingId: "L1", buyerId: "B1", status: "held" });
	});
});
