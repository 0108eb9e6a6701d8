// The pages' build publishes no source maps (issue 10): public/ is uploaded as it is.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("the pages' build", () => {
	it("leaves no source map in public/assets, and .assetsignore keeps any from being uploaded", () => {
		const build = spawnSync(process.execPath, ["scripts/build-web.mjs"], { encoding: "utf8" });
		expect(build.status, build.stderr).toBe(0);
		expect(readdirSync("public/assets").filter((f) => f.endsWith(".map"))).toEqual([]);
		expect(readFileSync("public/.assetsignore", "utf8").split("\n")).toContain("*.map");
	}, 30_000);
});
