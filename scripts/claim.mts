// Claim one unit from the command line, signed exactly as the buyer page signs it:
//   npm run claim -- <buyerId> <accessCode> <listingId> [eventId=demo]
// BASE_URL (default http://localhost:8787) points it at another server.
import { KaipanApiError, KaipanClient } from "../client/kaipan-client.ts";

const [buyerId, accessCode, listingId, eventId = "demo"] = process.argv.slice(2);
if (!buyerId || !accessCode || !listingId) {
	console.error("usage: npm run claim -- <buyerId> <accessCode> <listingId> [eventId]");
	process.exit(2);
}
const kp = new KaipanClient({ baseUrl: process.env.BASE_URL ?? `http://localhost:${process.env.PORT ?? 8787}` });
try {
	await kp.login(eventId, buyerId, accessCode);
	console.log(JSON.stringify(await kp.claim(listingId)));
	console.log(JSON.stringify(await kp.myHolds()));
} catch (err) {
	if (!(err instanceof KaipanApiError)) throw err;
	console.error(`${err.status} ${err.code}: ${err.message}`);
	process.exit(1);
}
