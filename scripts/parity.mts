// An event's parity, inventory objects against D1's orders (GET /api/admin/events/:eventId/parity):
//   npm run parity -- <baseUrl> <eventId>
// ADMIN_TOKEN (default: the documented local dev-admin-token) authenticates. Prints the report and a
// one-line verdict; exits 1 when D1 lacks something or has it at an older version, so that a runbook
// or a cron can wait on it ("until npm run parity -- … ; do sleep 60; done").

interface Parity {
	eventId: string;
	listings: number;
	objectHolds: number;
	d1Orders: number;
	missing: { holdId: string; listingId: string; status: string; version: number }[];
	stale: { holdId: string; listingId: string; objectVersion: number; d1Version: number }[];
	unknown: string[];
	unacknowledged: number;
	inParity: boolean;
}

const [baseUrl, eventId] = process.argv.slice(2);
if (!baseUrl || !eventId) {
	console.error("usage: npm run parity -- <baseUrl> <eventId>");
	process.exit(2);
}
const url = new URL(`/api/admin/events/${encodeURIComponent(eventId)}/parity`, baseUrl);
const res = await fetch(url, { headers: { authorization: `Bearer ${process.env.ADMIN_TOKEN ?? "dev-admin-token"}` } });
if (!res.ok) {
	console.error(`${res.status}: ${await res.text()}`);
	process.exit(2);
}
const p = (await res.json()) as Parity;
console.log(JSON.stringify(p, null, 2));
const verdict = p.inParity
	? "in parity"
	: `NOT in parity: ${p.missing.length} missing, ${p.stale.length} stale, ${p.unknown.length} unknown`;
console.log(
	`${p.eventId}: ${p.listings} listings, ${p.objectHolds} holds in the objects, ${p.d1Orders} orders in D1, ` +
		`${p.unacknowledged} unacknowledged — ${verdict}`,
);
process.exit(p.inParity ? 0 : 1);
