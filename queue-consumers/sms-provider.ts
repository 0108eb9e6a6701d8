// Where SMS go. "local" (the default, and what `wrangler dev` uses) delivers nowhere: the message is
// recorded in D1's notifications table, which the operator console shows. "http" posts each message to
// an SMS gateway (SMS_API_URL, secret SMS_API_KEY) and fails on any non-2xx so the queue retries.

export interface SmsMessage {
	id: string;
	to: string;
	body: string;
}

export interface SmsProvider {
	readonly name: string;
	send(message: SmsMessage): Promise<void>;
}

/** `fetcher` is the network: the global fetch in production, a local gateway in tests. */
export function smsProviderFor(env: Env, fetcher: typeof fetch = (input, init) => fetch(input, init)): SmsProvider {
	if (env.SMS_PROVIDER === "http") {
		if (!env.SMS_API_URL) throw new Error("SMS_PROVIDER=http needs SMS_API_URL");
		return httpProvider(env.SMS_API_URL, env.SMS_API_KEY ?? "", fetcher);
	}
	return { name: "local", send: async () => undefined };
}

/** A rehearsal's notices (模拟开盘): recorded as "rehearsal", sent nowhere, whatever the switches say. */
export const rehearsalProvider: SmsProvider = { name: "rehearsal", send: async () => undefined };

/** Used while the operator has SMS switched off: recorded as "suppressed", sent nowhere. */
export const suppressedProvider: SmsProvider = { name: "suppressed", send: async () => undefined };

function httpProvider(url: string, apiKey: string, fetcher: typeof fetch): SmsProvider {
	return {
		name: "http",
		async send(message) {
			const res = await fetcher(url, {
				method: "POST",
				headers: {
					"content-type": "application/json",
					authorization: `Bearer ${apiKey}`,
					// Gateways that support it drop a resend of the same message.
					"idempotency-key": message.id,
				},
				body: JSON.stringify({ to: message.to, body: message.body, reference: message.id }),
			});
			if (!res.ok) throw new Error(`SMS gateway answered ${res.status}`);
		},
	};
}
