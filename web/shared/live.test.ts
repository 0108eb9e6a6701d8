// The live feed asks for wire version 2 on every URL the pages give it (docs/LIVE.md "Two wire versions").
import { describe, expect, it } from "vitest";
import { withV2 } from "./live";

describe("withV2", () => {
	it("adds v=2 to a URL with or without a query", () => {
		expect(withV2("wss://k.test/api/events/e1/live")).toBe("wss://k.test/api/events/e1/live?v=2");
		expect(withV2("wss://k.test/api/events/e1/live?ticket=t.x")).toBe("wss://k.test/api/events/e1/live?ticket=t.x&v=2");
	});
});
