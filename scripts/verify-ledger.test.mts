// `npm run verify-ledger` end to end against a stand-in server on the loopback: the export and the
// orders pages as the API serves them, the token sent, the exit code and the verdict.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainEntry, GENESIS_HASH, type LedgerEntry } from "../lib/ledger-chain.ts";

const granted = chainEntry({ seq: 0, hash: GENESIS_HASH }, "2026-12-01T02:00:00.000Z", {
	kind: "hold_granted",
	actor: "buyer:b1",
	data: { holdId: "h1", listingId: "L1", buyerId: "b1", status: "held", version: 1 },
});
let exported: LedgerEntry[] = [granted];
const seenTokens: string[] = [];
let server: Server;
let baseUrl = "";

beforeAll(async () => {
	server = createServer((req, res) => {
		seenTokens.push(req.headers.authorization ?? "");
		if (req.url === "/api/admin/events/ev1/ledger/export") {
			res.setHeader("content-type", "application/x-ndjson");
			res.end(exported.map((e) => `${JSON.stringify(e)}\n`).join(""));
		} else if (req.url?.startsWith("/api/admin/events/ev1/orders")) {
			const second = req.url.includes("cursor=");
			res.setHeader("content-type", "application/json");
			res.end(
				JSON.stringify(
					second
						? { orders: [], nextCursor: null }
						: { orders: [{ holdId: "h1", listingId: "L1", buyerId: "b1", status: "held" }], nextCursor: "c2" },
				),
			);
		} else {
			res.statusCode = 404;
			res.end('{"error":{"code":"not_found","message":"No event."}}');
		}
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Runs the script as npm would (tsx), asynchronously so that the stand-in server can answer it. */
function run(args: string[], token?: string): Promise<{ status: number | null; stdout: string }> {
	const env: NodeJS.ProcessEnv = { ...process.env, KAIPAN_TOKEN: token };
	if (token === undefined) delete env.KAIPAN_TOKEN;
	delete env.ADMIN_TOKEN;
	const child = spawn(process.execPath, ["--import", "tsx", "scripts/verify-ledger.mts", ...args], { env });
	let stdout = "";
	child.stdout.on("data", (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	child.stderr.on("data", (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout })));
}

describe("npm run verify-ledger", () => {
	it("verifies an intact chain against every page of orders (exit 0), with the staff token it was given", async () => {
		exported = [granted];
		const { status, stdout } = await run([baseUrl, "ev1", "--head", `1:${granted.hash}`], "staff-token");
		expect(stdout).toContain("VERIFIED");
		expect(stdout).toContain("D1 orders      1");
		expect(status).toBe(0);
		expect(seenTokens.at(-1)).toBe("Bearer staff-token");
	}, 30_000);

	it("reports a tampered entry and exits 1; an unreadable server exits 2", async () => {
		exported = [{ ...granted, data: { ...granted.data, buyerId: "b9" } }];
		const tampered = await run([baseUrl, "ev1"]);
		expect(tampered.stdout).toContain("PROBLEM  seq 1: hash does not match its content");
		expect(tampered.stdout).toContain("NOT VERIFIED");
		expect(tampered.status).toBe(1);
		expect(seenTokens.at(-1)).toBe("Bearer dev-admin-token");
		expect((await run([baseUrl, "nope"])).status).toBe(2);
	}, 30_000);
});
