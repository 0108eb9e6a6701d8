import type { BuyerSession } from "./middleware/buyer-session";

export interface AppEnv {
	Bindings: Env;
	Variables: {
		session: BuyerSession;
		/** Set by signedRequest: the verified raw body and the request's nonce. */
		signed: { body: Uint8Array<ArrayBuffer>; nonce: string };
	};
}
