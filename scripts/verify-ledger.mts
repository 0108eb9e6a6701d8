// Recomputes an event's hash-chained ledger from its export and checks it against D1's orders
// (docs/LEDGER.md "Verifying"):
//   npm run verify-ledger -- <baseUrl> <eventId> [--head <seq>:<hash>]
// Authenticates with KAIPAN_TOKEN (a staff token; every role may read the ledger), else ADMIN_TOKEN,
// else the documented local dev-admin-token. The checks are lib/ledger-verifier.ts, which has its own
// canonicalisation and never imports the writer's lib/ledger-chain.ts. Exits 0 when the chain holds,
// 1 when it does not, 2 when the server cannot be read.
import { parseArgs } from "node:util";
import { type VerifiedOrder, verifyLedgerExport } from "../lib/ledger-verifier.ts";

const { values, positionals } = parseArgs({
	allowPositionals: true,
	options: { head: { type: "string" }, help: { type: "boolean", default: false } },
});
const [baseUrl, eventId] = positionals;
if (values.help || !baseUrl || !eventId) {
	console.error("usage: npm run verify-ledger -- <baseUrl> <eventId> [--head <seq>:<hash>]");
	process.exit(2);
}
let publishedHead: { seq: number; hash: string } | undefined;
if (values.head !== undefined) {
	const [seq, hash] = values.head.split(":");
	if (!seq || !/^\d+$/.test(seq) || !hash || !/^[0-9a-f]{64}$/.test(hash)) {
		console.error("--head must be <seq>:<64 lowercase hex digits>, as GET /api/events/:eventId/ledger/head gives them");
		process.exit(2);
	}
	publishedHead = { seq: Number(seq), hash };
}
const token = process.env.KAIPAN_TOKEN ?? process.env.ADMIN_TOKEN ?? "dev-admin-token";
const headers = { authorization: `Bearer ${token}` };
const event = encodeURIComponent(eventId);

async function read(path: string): Promise<Response> {
	const res = await fetch(new URL(path, baseUrl), { headers });
	if (!res.ok) {
		console.error(`GET ${path}: ${res.status} ${await res.text()}`);
		process.exit(2);
	}
	return res;
}

const exported = await (await read(`/api/admin/events/${event}/ledger/export`)).text();
const orders: VerifiedOrder[] = [];
let cursor: string | null = null;
do {
	const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
	const page = (await (await read(`/api/admin/events/${event}/orders?limit=1000${q}`)).json()) as {
		orders: VerifiedOrder[];
		nextCursor: string | null;
	};
	orders.push(...page.orders);
	cursor = page.nextCursor;
} while (cursor);

const report = verifyLedgerExport(exported, { orders, publishedHead, maxProblems: 100 });
console.log(`ledger of ${eventId} at ${baseUrl}`);
console.log(`  entries        ${report.entries} (head seq ${report.head.seq}, hash ${report.head.hash})`);
console.log(`  hold entries   ${report.holdEntries} for ${report.holds} holds`);
console.log(`  D1 orders      ${report.orders}, each checked for its final status`);
if (publishedHead) console.log(`  published head seq ${publishedHead.seq}, hash ${publishedHead.hash}`);
for (const problem of report.problems) console.log(`  PROBLEM  ${problem}`);
console.log(
	report.ok
		? "VERIFIED: the chain is intact from seq 1 to its head, and every order is in it with its final status"
		: `NOT VERIFIED: ${report.problems.length} problem(s)`,
);
process.exit(report.ok ? 0 : 1);
