// The OpenAPI document describes every route the app serves, and only those.
import { describe, expect, it } from "vitest";
import { app } from "../worker/app";
import { describedRoutes } from "../worker/routes/openapi";
import { call } from "./helpers";

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
});
