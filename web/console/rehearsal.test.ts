// The server's refusals of a rehearsal (worker/routes/admin-rehearsal.ts) as the console's form says
// them: an id in use and a copy of a copy are not "the sale has opened" (err_event_locked's words).
import { describe, expect, it } from "vitest";
import { parseApiResponse } from "../../client/kaipan-client";
import { rehearsalErrorText } from "./rehearsal";

/** The error the console's adminApi() throws for this answer. */
async function refusal(status: number, error: Record<string, unknown>): Promise<unknown> {
	const res = new Response(JSON.stringify({ error }), { status, headers: { "content-type": "application/json" } });
	return parseApiResponse(res).then(
		() => {
			throw new Error("expected a refusal");
		},
		(err: unknown) => err,
	);
}

describe("rehearsalErrorText", () => {
	it("names the id in use (409 event_locked, field rehearsalId)", async () => {
		const err = await refusal(409, {
			code: "event_locked",
			message: "An event e1 already exists; a rehearsal needs a new id.",
			field: "rehearsalId",
		});
		expect(rehearsalErrorText(err, "e1")).toBe("已有活动 “e1”，没有创建。模拟开盘需要一个新的编号。");
	});

	it("says a rehearsal is not copied again (409 event_locked without a field)", async () => {
		const err = await refusal(409, {
			code: "event_locked",
			message: "r1 is itself a rehearsal of e1; rehearse the real event instead.",
		});
		expect(rehearsalErrorText(err, "r2")).toBe("这本身就是模拟开盘，不能再复制；请从真实活动创建。");
	});

	it("says only an operator may (403), and names a bad time (400)", async () => {
		const forbidden = await refusal(403, { code: "forbidden", message: "operator role required" });
		expect(rehearsalErrorText(forbidden, "r1")).toBe("只有运营可以创建模拟开盘。");
		const order = await refusal(400, {
			code: "invalid_request",
			message: "endsAt: must be later than startsAt",
			field: "endsAt",
		});
		expect(rehearsalErrorText(order, "r1")).toBe("结束时间必须晚于开始时间。");
		const bad = await refusal(400, {
			code: "invalid_request",
			message: "startsAt: Invalid ISO datetime",
			field: "startsAt",
		});
		expect(rehearsalErrorText(bad, "r1")).toBe("“开盘时间”填写有误：Invalid ISO datetime");
	});
});
