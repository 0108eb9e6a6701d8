// The OpenAPI document describes every route the app serves, and only those; and the check that every
// workers test makes of its answers against it (test/openapi-conformance.ts) catches each kind of drift.
import { describe, expect, it } from "vitest";
import { app } from "../worker/app";
import { describedRoutes } from "../worker/routes/openapi";
import { call } from "./helpers";
import { checkAnswer, describeViolations, takeViolations } from "./openapi-conformance";

describe("GET /api/openapi.json", () => {
	it("is an OpenAPI 3.1 document with the request schemas the routes validate with", async () => {
		const res = await call("/api/openapi.json");
		expect(res.status).toBe(200);
		const doc = await res.json<{ openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> }>();
		expect(doc.openapi).toBe("3.1.0");
		const claimBody = doc.paths["/api/events/{eventId}/claims"]?.post?.requestBody;
		expect(JSON.stringify(claimBody)).toContain('"listingId"');
		expect(JSON.stringify(doc.paths["/api/admin/events/{eventId}"]?.put?.requestBody)).toContain('"perBuyerLimit"');
	});

	it("describes exactly the routes the app serves", () => {
		const served = new Set(
			app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path.replace(/\/$/, "")}`),
		);
		expect([...served].sort()).toEqual([...new Set(describedRoutes())].sort());
	});

	it("lists 401 and 403 on every operator route, and Retry-After on every 429 and 503", async () => {
		const doc = await (await call("/api/openapi.json")).json<{
			paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
		}>();
		for (const [path, operations] of Object.entries(doc.paths)) {
			for (const [method, { responses }] of Object.entries(operations)) {
				if (path.startsWith("/api/admin/"))
					expect(Object.keys(responses), `${method} ${path}`).toEqual(expect.arrayContaining(["401", "403", "429"]));
				for (const status of ["429", "503"]) {
					if (responses[status])
						expect(responses[status].headers, `${method} ${path} ${status}`).toHaveProperty("Retry-After");
				}
			}
		}
	});
});

describe("the conformance check of every answer", () => {
	const request = (method: string, path: string) => ({ method, url: `https://kaipan.test${path}` });
	const jsonAnswer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
		new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
	const problems = async (req: { method: string; url: string }, res: Response) => {
		await checkAnswer(req, res, undefined);
		return takeViolations().map((v) => v.problem);
	};
	const notFound = { error: { code: "not_found", message: "No event e1." } };

	it("passes a documented answer", async () => {
		expect(await problems(request("GET", "/api/events/e1"), jsonAnswer(404, notFound))).toEqual([]);
	});

	it("names a status the operation does not list", async () => {
		const found = await problems(
			request("GET", "/api/events/e1"),
			jsonAnswer(409, { error: { code: "sold_out", message: "x" } }),
		);
		expect(found).toEqual([expect.stringContaining("GET /api/events/{eventId} does not list status 409")]);
	});

	it("names the field of a body that does not match the documented schema", async () => {
		const wrongCode = await problems(
			request("GET", "/api/events/e1"),
			jsonAnswer(404, { error: { code: "sold_out", message: "x" } }),
		);
		expect(wrongCode).toEqual([expect.stringContaining("/error/code")]);
		const extraField = await problems(request("GET", "/api/health"), jsonAnswer(200, { ok: true, debug: 1 }));
		expect(extraField).toEqual([expect.stringContaining("does not match the schema")]);
	});

	it("names a content type, a missing body or a missing header the document requires", async () => {
		const html = new Response("<h1>oops</h1>", { status: 404, headers: { "content-type": "text/html" } });
		expect(await problems(request("GET", "/api/events/e1"), html)).toEqual([
			expect.stringContaining("content-type text/html is not one of application/json"),
		]);
		const empty = new Response(null, { status: 200 });
		expect(await problems(request("GET", "/api/health"), empty)).toEqual([expect.stringContaining("describes a body")]);
		const limited = jsonAnswer(429, { error: { code: "rate_limited", message: "slow down" } });
		expect(await problems(request("GET", "/api/me/holds"), limited)).toEqual([
			"header Retry-After is required and missing",
		]);
	});

	it("reports each kind of violation once, with method, path, status and how often", async () => {
		for (const id of ["e1", "e2"]) {
			await checkAnswer(
				request("GET", `/api/events/${id}`),
				jsonAnswer(409, { error: { code: "sold_out", message: "x" } }),
				undefined,
			);
		}
		const report = describeViolations(takeViolations());
		expect(report).toContain("2 answer(s)");
		expect(report).toContain("GET /api/events/e1 → 409 (×2): GET /api/events/{eventId} does not list status 409");
		expect(report).not.toContain("/api/events/e2");
	});

	it("allows an undocumented route only the app's 404", async () => {
		expect(await problems(request("GET", "/api/nothing-here"), jsonAnswer(404, notFound))).toEqual([]);
		expect(await problems(request("DELETE", "/api/events/e1"), jsonAnswer(404, notFound))).toEqual([]);
		const served = await problems(
			request("GET", "/api/admin/nothing-documented"),
			jsonAnswer(200, { role: "operator" }),
		);
		expect(served).toContain("GET /api/admin/nothing-documented is not in the document, yet it answered 200");
	});
});
