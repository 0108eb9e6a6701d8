import type { BuyerSession } from "./middleware/buyer-session";

export interface AppEnv {
	Bindings: Env;
	Variables: { session: BuyerSession };
}
