// A D1 binding that fails every statement while `down` is set: an outage of any length, through the
// real binding otherwise. Real D1 reports failures as errors whose message starts with "D1_ERROR"; so
// does this, so the code under test sees what it would see on Cloudflare.
import { env } from "cloudflare:workers";

export interface D1Outage {
	binding: D1Database;
	down: boolean;
}

export function d1Outage(down = true): D1Outage {
	const state: D1Outage = { binding: env.DB, down };
	state.binding = new Proxy(env.DB, {
		get(target, prop) {
			if (state.down && (prop === "prepare" || prop === "batch" || prop === "exec")) {
				return () => {
					throw new Error("D1_ERROR: simulated outage");
				};
			}
			const value = Reflect.get(target, prop, target) as unknown;
			return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
	return state;
}
