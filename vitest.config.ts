import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
	plugins: [
		cloudflareTest(async () => ({
			wrangler: { configPath: "./wrangler.toml" },
			miniflare: {
				bindings: {
					TEST_MIGRATIONS: await readD1Migrations("./migrations"),
					// Secrets come from .dev.vars locally; tests must not depend on that file existing.
					ADMIN_TOKEN: "test-admin-token",
					SESSION_SECRET: "test-session-secret",
					ACCESS_CODE_PEPPER: "test-pepper",
					SMS_API_KEY: "",
				},
			},
		})),
	],
	test: {
		include: ["test/**/*.test.ts"],
		setupFiles: ["./test/setup.ts"],
		testTimeout: 30_000,
		hookTimeout: 30_000,
	},
});
