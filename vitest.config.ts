import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
	test: {
		projects: [
			{
				plugins: [
					cloudflareTest(async () => ({
						wrangler: { configPath: "./wrangler.toml" },
						miniflare: {
							bindings: {
								TEST_MIGRATIONS: await readD1Migrations("./migrations"),
								// One seed for the run's property tests, printed by each: FC_SEED=<seed> replays a failure.
								FC_SEED: process.env.FC_SEED ?? String(Date.now() % 2 ** 31),
								// Secrets come from .dev.vars locally; tests must not depend on that file existing.
								ADMIN_TOKEN: "test-admin-token",
								SESSION_SECRET: "test-session-secret",
								ACCESS_CODE_PEPPER: "test-pepper",
								SMS_API_KEY: "",
								// Small live shards, so that a handful of test sockets already spreads over several.
								HUB_SHARD_SOCKETS: "4",
								// K = 4 feed inputs: a handful of listings already spreads over several (L1 → 2,
								// L2 → 3, L3 → 0, L4 → 1, L5 → 2), and shares some.
								LIVE_FEED_INPUTS: "4",
								// Off in tests: they send many claims per unit in one millisecond on purpose
								// (test/first-wave.test.ts forces its own window).
								FIRST_WAVE_WINDOW_MS: "0",
							},
						},
					})),
				],
				test: {
					name: "workers",
					include: ["test/**/*.test.ts"],
					setupFiles: ["./test/setup.ts"],
					testTimeout: 30_000,
					hookTimeout: 30_000,
				},
			},
			{
				// Pure code (lib/, client/, the pages' modules) in plain Node: no workerd pool and no dev
				// server to wait for, so these run in seconds. Node's globalThis.crypto is WebCrypto, as in
				// workerd; a test that needs a binding or a worker module belongs in test/ instead.
				test: {
					name: "unit",
					environment: "node",
					include: ["lib/**/*.test.ts", "client/**/*.test.ts", "web/**/*.test.ts", "scripts/**/*.test.mts"],
				},
			},
			{
				// The pages in a real headless Chromium against the real dev server (e2e/global-setup.ts);
				// plain Node, no workerd pool.
				test: {
					name: "e2e",
					environment: "node",
					include: ["e2e/**/*.test.ts"],
					globalSetup: ["./e2e/global-setup.ts"],
					testTimeout: 60_000,
					hookTimeout: 180_000,
					fileParallelism: false,
				},
			},
		],
	},
});
