import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, afterEach, expect } from "vitest";
import { describeViolations, takeViolations } from "./openapi-conformance";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// An answer the OpenAPI document does not describe fails the test that got it (test/openapi-conformance.ts);
// one got outside any test (a beforeAll) fails the file.
function failOnViolations(): void {
	const found = takeViolations();
	if (found.length > 0) throw new Error(describeViolations(found, expect.getState().currentTestName));
}
afterEach(failOnViolations);
afterAll(failOnViolations);
