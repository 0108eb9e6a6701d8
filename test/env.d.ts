import type { D1Migration } from "cloudflare:test";

declare global {
	namespace Cloudflare {
		interface Env {
			TEST_MIGRATIONS: D1Migration[];
			/** fast-check's seed for the property tests of this run (vitest.config.ts; FC_SEED=… replays one). */
			FC_SEED: string;
		}
	}
}
