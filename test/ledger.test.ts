// Guarantee 7, the event ledger: every grant and each of its status changes appears in the event's
// ledger exactly once and in order, the chain verifies, operator actions are recorded under their
// actor before the route answers, and an entry changed in storage is caught by the verifier. Faults
// are injected into the real runtime (evictions, a ledger binding that fails, rows delivered twice).
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { upsertEvent } from "../db/events";
import { eventLedgerOf, listingInventoryOf } from "../durable-objects/addresses";
import type { EventLedger } from "../durable-objects/event-ledger";
import type { ListingInventory } from "../durable-objects/listing-inventory";
import type { LedgerEntry } from "../lib/ledger-chain";
import { verifyLedgerExport } from "../lib/ledger-verifier";
import { clearSoldOut } from "../worker/hot-reads/sold-out-flags";
import {
	ADMIN,
	admin,
	call,
	cancel,
	claim,
	errorCode,
	eventuallyOrders,
	type Login,
	login,
	orders,
	seedEvent,
	uniqueId,
} from "./helpers";

const ZEROS = "0".repeat(64);

async function exportText(eventId: string): Promise<string> {
	const res = await call(`/api/admin/events/${eventId}/ledger/export`, { headers: ADMIN });
	expect(res.status).toBe(200);
	// JSON Lines is text, but not by workerd's reckoning of content types: decode it ourselves.
	return new TextDecoder().decode(await res.arrayBuffer());
}

async function entriesOf(eventId: string): Promise<LedgerEntry[]> {
	return (await exportText(eventId))
		.split("\n")
		.filter((l) => l !== "")
		.map((l) => JSON.parse(l) as LedgerEntry);
}

/** The export verified against D1's orders (the verifier's core, as `npm run verify-ledger` runs it). */
async function verify(eventId: string) {
	return verifyLedgerExport(await exportText(eventId), { orders: await orders(eventId) });
}

/** The hold entries of the ledger as "holdId:version:status", in ledger order. */
function holdChanges(entries: LedgerEntry[]): string[] {
	return entries
		.filter((e) => e.kind.startsWith("hold_"))
		.map((e) => `${String(e.data.holdId)}:${String(e.data.version)}:${String(e.data.status)}`);
}

/** Every status change the inventory objects made: versions 1 … current of every hold they have. */
async function changesInObjects(eventId: string, listingIds: readonly string[]): Promise<Map<string, number>> {
	const versions = new Map<string, number>();
	for (const listingId of listingIds) {
		for (const h of (await listingInventoryOf(env, eventId, listingId).snapshot()).holds)
			versions.set(h.holdId, h.version);
	}
	return versions;
}

/**
 * Cuts one inventory instance off the ledger (until evicted): its ledger queue binding always fails
 * (the ledger is fed through the queue, docs/SCALE.md fix 7).
 */
async function breakLedgerOf(eventId: string, listingId: string): Promise<void> {
	await runInDurableObject(listingInventoryOf(env, eventId, listingId), (instance: ListingInventory) => {
		const broken = { send: () => Promise.reject(new Error("ledger unreachable")) } as unknown as Queue;
		Object.assign(instance, { env: { ...env, LEDGER_QUEUE: broken } });
	});
}

async function pendingLedgerRows(eventId: string, listingId: string): Promise<number> {
	return runInDurableObject(listingInventoryOf(env, eventId, listingId), (_: ListingInventory, state) =>
		Number(state.storage.sql.exec("SELECT count(*) AS n FROM outbox WHERE target = 'ledger'").one().n),
	);
}

/** Makes every outbox row due now and runs the alarm (a fresh instance: its real bindings). */
async function resendNow(eventId: string, listingId: string): Promise<void> {
	const inventory = listingInventoryOf(env, eventId, listingId);
	await evictDurableObject(inventory).catch(() => undefined);
	await runInDurableObject(inventory, async (_: ListingInventory, state) => {
		state.storage.sql.exec("UPDATE outbox SET next_attempt_at = 0");
		await state.storage.setAlarm(Date.now());
	});
	await runDurableObjectAlarm(inventory);
}

describe("operator actions", () => {
	it("are recorded under their actor before the route answers, imports without any access code", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 2, open: false });
		// seedEvent's writes, each in the ledger the moment its route answered.
		let entries = await entriesOf(ev.eventId);
		expect(entries.map((e) => e.kind)).toEqual(["event_created", "listings_imported", "buyers_imported"]);
		expect(entries.every((e) => e.actor === "admin")).toBe(true);
		expect(entries[0]?.data).toMatchObject({ holdSeconds: 900, perBuyerLimit: 1, currency: "CNY" });
		expect(entries[1]?.data).toMatchObject({ count: 2, units: 2 });
		expect(entries[1]?.data.contentSha256).toMatch(/^[0-9a-f]{64}$/);
		expect(entries[2]?.data).toMatchObject({ count: 2, codesSupplied: 2, codesGenerated: 0, codesKept: 0 });

		// A buyer registered again without a code keeps it; a new one gets a generated code. Neither
		// code, nor anything derived from it, reaches the ledger.
		const br = await admin("PUT", `/api/admin/events/${ev.eventId}/buyers`, { buyers: [{ id: "B1" }, { id: "B9" }] });
		const generated = (await br.json<{ buyers: { id: string; accessCode: string | null }[] }>()).buyers[1]?.accessCode;
		expect(generated).toMatch(/^[A-Za-z0-9]{8,}$/);
		expect(
			(await admin("PUT", `/api/admin/events/${ev.eventId}/flags`, { claimsPaused: true, smsOff: false })).status,
		).toBe(200);
		const put = await admin("PUT", `/api/admin/events/${ev.eventId}`, {
			name: "Renamed",
			startsAt: new Date(Date.now() + 3_600_000).toISOString(),
			endsAt: new Date(Date.now() + 7_200_000).toISOString(),
		});
		expect(put.status).toBe(200);
		expect((await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "open" })).status).toBe(200);
		entries = await entriesOf(ev.eventId);
		expect(entries.slice(3).map((e) => [e.kind, e.actor])).toEqual([
			["buyers_imported", "admin"],
			["switches_changed", "admin"],
			["event_updated", "admin"],
			["event_status", "admin"],
		]);
		expect(entries[3]?.data).toMatchObject({ count: 2, codesSupplied: 0, codesGenerated: 1, codesKept: 1 });
		expect(entries[4]?.data).toEqual({
			changed: ["claimsPaused", "smsOff"],
			flags: { claimsPaused: true, smsOff: false, buyerLiveOff: false },
		});
		expect(entries[5]?.data).toMatchObject({ name: "Renamed" });
		expect(entries[5]?.data.changed).toEqual(["name", "startsAt", "endsAt"]);
		expect(entries[6]?.data).toMatchObject({ status: "open", effectiveStatus: "open" });
		const text = await exportText(ev.eventId);
		for (const code of [...ev.codes.values(), generated ?? "none"]) expect(text).not.toContain(code);
		expect((await verify(ev.eventId)).ok).toBe(true);
	});

	it("a write whose entry cannot be appended answers 503 overloaded; the same request again records it", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1, open: false });
		const before = (await entriesOf(ev.eventId)).length;
		// The ledger object fails every append: its table is out of reach (put back below).
		const ledger = eventLedgerOf(env, ev.eventId);
		await runInDurableObject(ledger, (_: EventLedger, state) => {
			state.storage.sql.exec("ALTER TABLE entries RENAME TO entries_away");
		});
		const res = await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "paused" });
		expect(res.status).toBe(503);
		expect(res.headers.get("retry-after")).toBe("1");
		expect(await errorCode(res)).toBe("overloaded");
		// The D1 write stands: the change was made, only its entry is missing.
		expect(
			(await (await admin("GET", `/api/admin/events/${ev.eventId}`)).json<{ event: { statusMode: string } }>()).event
				.statusMode,
		).toBe("paused");
		await runInDurableObject(ledger, (_: EventLedger, state) => {
			state.storage.sql.exec("ALTER TABLE entries_away RENAME TO entries");
		});
		expect((await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "paused" })).status).toBe(200);
		const entries = await entriesOf(ev.eventId);
		expect(entries).toHaveLength(before + 1);
		expect(entries.at(-1)).toMatchObject({ kind: "event_status", data: { status: "paused" } });
	});
});

describe("reading the ledger", () => {
	it("pages in seq order with an opaque cursor; the export is the same entries as JSON Lines", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const paged: LedgerEntry[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const q: string = cursor ? `&cursor=${cursor}` : "";
			const res = await admin("GET", `/api/admin/events/${ev.eventId}/ledger?limit=3${q}`);
			expect(res.status).toBe(200);
			expect(res.headers.get("cache-control")).toContain("no-store");
			const page = await res.json<{ entries: LedgerEntry[]; nextCursor: string | null }>();
			paged.push(...page.entries);
			cursor = page.nextCursor;
			pages += 1;
		} while (cursor);
		expect(pages).toBe(2);
		expect(paged.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
		const res = await call(`/api/admin/events/${ev.eventId}/ledger/export`, { headers: ADMIN });
		expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
		expect(res.headers.get("content-disposition")).toBe(`attachment; filename="ledger-${ev.eventId}.jsonl"`);
		const lines = new TextDecoder().decode(await res.arrayBuffer()).split("\n");
		expect(lines.at(-1)).toBe("");
		expect(lines.slice(0, -1).map((l) => JSON.parse(l) as LedgerEntry)).toEqual(paged);
		expect(Object.keys(paged[0] ?? {})).toEqual(["seq", "at", "kind", "actor", "data", "prev", "hash"]);

		const head = await call(`/api/events/${ev.eventId}/ledger/head`);
		expect(head.status).toBe(200);
		const last = paged.at(-1);
		expect(await head.json()).toEqual({ seq: 4, hash: last?.hash, at: last?.at });
	});

	it("a ledger longer than a page exports whole, in order, and still verifies", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 0, open: false });
		const ledger = eventLedgerOf(env, ev.eventId);
		for (let batch = 0; batch < 3; batch++) {
			const inputs = Array.from({ length: 700 }, (_, i) => ({
				key: `test:${batch}:${i}`,
				kind: "switches_changed" as const,
				actor: "system" as const,
				data: { batch, i },
			}));
			expect(await ledger.append(inputs)).toMatchObject({ appended: 700, duplicates: 0 });
		}
		const entries = await entriesOf(ev.eventId);
		expect(entries).toHaveLength(2 + 2_100);
		expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 2_102 }, (_, i) => i + 1));
		expect((await verifyLedgerExport(await exportText(ev.eventId))).ok).toBe(true);
		const first = await admin("GET", `/api/admin/events/${ev.eventId}/ledger?limit=1000`);
		const page = await first.json<{ entries: LedgerEntry[]; nextCursor: string | null }>();
		expect(page.entries).toHaveLength(1_000);
		expect(page.nextCursor).not.toBeNull();
	});

	it("an event without entries has head seq 0, 64 zeros, at null", async () => {
		// An event written to D1 directly, as one from before the ledger: no entry for it.
		const eventId = uniqueId("ev");
		const now = new Date().toISOString();
		await upsertEvent(
			env,
			eventId,
			{ name: "old", startsAt: now, endsAt: now, holdSeconds: 900, perBuyerLimit: 1, currency: "CNY" },
			now,
		);
		const head = await call(`/api/events/${eventId}/ledger/head`);
		expect(await head.json()).toEqual({ seq: 0, hash: ZEROS, at: null });
		const page = await admin("GET", `/api/admin/events/${eventId}/ledger`);
		expect(await page.json()).toEqual({ entries: [], nextCursor: null });
		expect(await exportText(eventId)).toBe("");
	});

	it("refuses unknown events, bad cursors and limits, and callers without a staff token", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 0, open: false });
		expect((await call("/api/events/nope-nope/ledger/head")).status).toBe(404);
		expect((await admin("GET", "/api/admin/events/nope-nope/ledger")).status).toBe(404);
		expect((await admin("GET", "/api/admin/events/nope-nope/ledger/export")).status).toBe(404);
		for (const q of ["limit=0", "limit=1001", "limit=x", "cursor=abc", `cursor=${btoa('{"seq":1}')}`]) {
			const res = await admin("GET", `/api/admin/events/${ev.eventId}/ledger?${q}`);
			expect(res.status, q).toBe(400);
			expect(await errorCode(res)).toBe("invalid_request");
		}
		expect((await admin("GET", `/api/admin/events/${ev.eventId}/ledger?limit=1000`)).status).toBe(200);
		expect((await call(`/api/admin/events/${ev.eventId}/ledger`)).status).toBe(401);
		// API.md "Staff accounts": a token that is neither ADMIN_TOKEN nor an active staff token is 401.
		const wrong = { authorization: "Bearer not-the-token" };
		expect((await call(`/api/admin/events/${ev.eventId}/ledger/export`, { headers: wrong })).status).toBe(401);
	});
});

describe("holds in the ledger", () => {
	it("grant, confirm, release, cancel and expiry each appear once, in order, with their actor", async () => {
		const ev = await seedEvent({ listings: 4, buyers: 4, holdSeconds: 60 });
		const s = await Promise.all(ev.buyerIds.map((b) => login(ev.eventId, b)));
		const ids: string[] = [];
		for (const [i, session] of s.entries()) {
			const res = await claim(session, ev.listingIds[i] ?? "L1");
			expect(res.status).toBe(201);
			ids.push((await res.json<{ holdId: string }>()).holdId);
		}
		const [h1, h2, h3, h4] = ids as [string, string, string, string];
		expect((await admin("POST", `/api/admin/holds/${h1}/confirm`)).status).toBe(200);
		expect((await admin("POST", `/api/admin/holds/${h2}/release`)).status).toBe(200);
		expect((await cancel(s[2] as Login, h3)).status).toBe(200);
		// A staff member other than ADMIN_TOKEN (the staff accounts' actor), straight to the object.
		await runInDurableObject(listingInventoryOf(env, ev.eventId, "L4"), (_: ListingInventory, state) => {
			state.storage.sql.exec("UPDATE holds SET expires_at = ? WHERE status = 'held'", Date.now() - 1);
		});
		expect(await runDurableObjectAlarm(listingInventoryOf(env, ev.eventId, "L4"))).toBe(true);
		clearSoldOut(ev.eventId, "L4");
		// Confirming again changes nothing and records nothing.
		expect((await listingInventoryOf(env, ev.eventId, "L1").confirm(h1, "staff:s-2")).kind).toBe("ok");

		await eventuallyOrders(ev.eventId, (rows) => expect(rows.filter((r) => r.status !== "held")).toHaveLength(4));
		const entries = await vi.waitFor(
			async () => {
				const all = await entriesOf(ev.eventId);
				expect(holdChanges(all)).toHaveLength(8);
				return all;
			},
			{ timeout: 10_000, interval: 100 },
		);
		const holdEntries = entries.filter((e) => e.kind.startsWith("hold_"));
		const byHold = (id: string) => holdEntries.filter((e) => e.data.holdId === id).map((e) => [e.kind, e.actor]);
		expect(byHold(h1)).toEqual([
			["hold_granted", "buyer:B1"],
			["hold_confirmed", "admin"],
		]);
		expect(byHold(h2)).toEqual([
			["hold_granted", "buyer:B2"],
			["hold_released", "admin"],
		]);
		expect(byHold(h3)).toEqual([
			["hold_granted", "buyer:B3"],
			["hold_cancelled", "buyer:B3"],
		]);
		expect(byHold(h4)).toEqual([
			["hold_granted", "buyer:B4"],
			["hold_expired", "system"],
		]);
		expect(holdEntries[0]?.data).toMatchObject({ listingId: "L1", buyerId: "B1", status: "held", version: 1 });
		const report = await verify(ev.eventId);
		expect(report.problems).toEqual([]);
		expect(report).toMatchObject({ ok: true, holds: 4, holdEntries: 8, orders: 4 });
	});

	it("a claim made for the buyer names the actor it was given (auto-claim: system)", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const holdId = `k${uniqueId("auto").replace(/[^A-Za-z0-9]/g, "")}`;
		const outcome = await listingInventoryOf(env, ev.eventId, "L1").claim(
			{ eventId: ev.eventId, listingId: "L1" },
			holdId,
			"B1",
			"system",
		);
		expect(outcome.kind).toBe("granted");
		await vi.waitFor(
			async () => expect((await entriesOf(ev.eventId)).at(-1)).toMatchObject({ kind: "hold_granted", actor: "system" }),
			{ timeout: 5_000 },
		);
	});

	it("a row delivered twice (its delete lost) is appended once", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const b1 = await login(ev.eventId, "B1");
		const inventory = listingInventoryOf(env, ev.eventId, "L1");
		await inventory.snapshot();
		await breakLedgerOf(ev.eventId, "L1");
		expect((await claim(b1, "L1")).status).toBe(201);
		const row = await runInDurableObject(inventory, (_: ListingInventory, state) =>
			state.storage.sql.exec<{ body: string }>("SELECT body FROM outbox WHERE target = 'ledger'").one(),
		);
		// The row goes through; then the same row again, as after an eviction between the ledger's answer
		// and the row's delete; then once more straight to the ledger.
		await resendNow(ev.eventId, "L1");
		await runInDurableObject(inventory, (_: ListingInventory, state) => {
			state.storage.sql.exec("INSERT INTO outbox (target, body, next_attempt_at) VALUES ('ledger', ?, 0)", row.body);
		});
		await runDurableObjectAlarm(inventory);
		await vi.waitFor(async () => expect(await pendingLedgerRows(ev.eventId, "L1")).toBe(0), { timeout: 10_000 });
		const { input } = JSON.parse(row.body) as { input: Parameters<EventLedger["append"]>[0][number] };
		expect(await eventLedgerOf(env, ev.eventId).append([input])).toMatchObject({ appended: 0, duplicates: 1 });
		expect(holdChanges(await entriesOf(ev.eventId))).toHaveLength(1);
		expect((await verify(ev.eventId)).ok).toBe(true);
	});

	it("a failed row holds back the rows after it: the ledger gets a hold's changes in order", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const b1 = await login(ev.eventId, "B1");
		const inventory = listingInventoryOf(env, ev.eventId, "L1");
		await inventory.snapshot();
		await breakLedgerOf(ev.eventId, "L1");
		const res = await claim(b1, "L1");
		const { holdId } = await res.json<{ holdId: string }>();
		// The grant's row failed and waits; the ledger comes back (this instance's binding restored)
		// and the confirm's row is written now, due at once.
		await vi.waitFor(
			async () => {
				const attempts = await runInDurableObject(inventory, (_: ListingInventory, state) =>
					state.storage.sql.exec<{ a: number }>("SELECT max(attempts) AS a FROM outbox WHERE target = 'ledger'").one(),
				);
				expect(attempts.a).toBeGreaterThan(0);
			},
			{ timeout: 5_000 },
		);
		await runInDurableObject(inventory, (instance: ListingInventory, state) => {
			Object.assign(instance, { env });
			// Well past this test: the grant's row must still be waiting when the confirm comes.
			state.storage.sql.exec("UPDATE outbox SET next_attempt_at = ? WHERE target = 'ledger'", Date.now() + 60_000);
		});
		expect((await admin("POST", `/api/admin/holds/${holdId}/confirm`)).status).toBe(200);
		// Nothing jumps the queue: the confirm waits behind the grant.
		expect(await pendingLedgerRows(ev.eventId, "L1")).toBe(2);
		expect(holdChanges(await entriesOf(ev.eventId))).toEqual([]);
		await resendNow(ev.eventId, "L1");
		await vi.waitFor(
			async () =>
				expect(holdChanges(await entriesOf(ev.eventId))).toEqual([`${holdId}:1:held`, `${holdId}:2:confirmed`]),
			{ timeout: 10_000 },
		);
		await eventuallyOrders(ev.eventId, (rows) => expect(rows[0]?.status).toBe("confirmed"));
		expect((await verify(ev.eventId)).ok).toBe(true);
	});

	it("holds from before the ledger are backfilled once, at their current version, by the storage migration", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 2, stock: 2 });
		const inventory = listingInventoryOf(env, ev.eventId, "L1");
		await inventory.snapshot();
		await breakLedgerOf(ev.eventId, "L1");
		const s1 = await login(ev.eventId, "B1");
		const s2 = await login(ev.eventId, "B2");
		const h1 = (await (await claim(s1, "L1")).json<{ holdId: string }>()).holdId;
		const h2 = (await (await claim(s2, "L1")).json<{ holdId: string }>()).holdId;
		expect((await admin("POST", `/api/admin/holds/${h2}/release`)).status).toBe(200);
		// Back to how an object from before the ledger looked: no ledger rows, schema version 2.
		await runInDurableObject(inventory, (_: ListingInventory, state) => {
			state.storage.sql.exec("DELETE FROM outbox WHERE target = 'ledger'");
			state.storage.sql.exec("UPDATE schema_version SET version = 2");
		});
		await evictDurableObject(inventory);
		// The constructor runs migration 3 once and sets the alarm, which delivers what it wrote.
		await runInDurableObject(inventory, async (_: ListingInventory, state) => {
			await state.storage.deleteAlarm();
		});
		await evictDurableObject(inventory);
		expect(await pendingLedgerRows(ev.eventId, "L1")).toBe(2);
		expect(
			await runInDurableObject(inventory, (_: ListingInventory, state) => state.storage.getAlarm()),
		).not.toBeNull();
		await resendNow(ev.eventId, "L1");
		await vi.waitFor(
			async () => {
				const entries = (await entriesOf(ev.eventId)).filter((e) => e.kind.startsWith("hold_"));
				expect(entries.map((e) => [e.kind, e.actor, e.data.holdId, e.data.version, e.data.backfilled])).toEqual([
					["hold_granted", "system", h1, 1, true],
					["hold_released", "system", h2, 2, true],
				]);
			},
			{ timeout: 10_000 },
		);
		await vi.waitFor(async () => expect(await pendingLedgerRows(ev.eventId, "L1")).toBe(0), { timeout: 10_000 });
		await evictDurableObject(inventory);
		expect((await verifyLedgerExport(await exportText(ev.eventId))).ok).toBe(true);
	});
});

describe("a crowd with faults", () => {
	it("every change of every hold exactly once, and the chain verifies, through queue faults and evictions", async () => {
		const ev = await seedEvent({ listings: 12, buyers: 36, holdSeconds: 60 });
		const sessions: Login[] = [];
		for (let i = 0; i < ev.buyerIds.length; i += 12) {
			sessions.push(...(await Promise.all(ev.buyerIds.slice(i, i + 12).map((b) => login(ev.eventId, b)))));
		}
		// A third of the listings cannot reach the ledger, and a third cannot reach the orders queue,
		// until their objects are evicted (then their alarm re-sends with the real bindings).
		for (const listingId of ev.listingIds.slice(0, 8)) await listingInventoryOf(env, ev.eventId, listingId).snapshot();
		for (const listingId of ev.listingIds.slice(0, 4)) await breakLedgerOf(ev.eventId, listingId);
		for (const listingId of ev.listingIds.slice(4, 8)) {
			await runInDurableObject(listingInventoryOf(env, ev.eventId, listingId), (instance: ListingInventory) => {
				const broken = { sendBatch: () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue;
				Object.assign(instance, { env: { ...env, ORDERS_QUEUE: broken } });
			});
		}
		const granted: { holdId: string; listingId: string; session: Login }[] = [];
		let evictions = 0;
		await Promise.all(
			sessions.map(async (s, i) => {
				for (let k = 0; k < ev.listingIds.length; k++) {
					const listingId = ev.listingIds[(i + k) % ev.listingIds.length] ?? "L1";
					let res = await claim(s, listingId);
					while (res.status === 429 || res.status === 503) {
						await new Promise((r) => setTimeout(r, 200));
						res = await claim(s, listingId);
					}
					// Every fifth buyer evicts a listing at the back of the catalogue mid-crowd (never one
					// whose broken binding the test still relies on).
					if (i % 5 === 0) {
						const victim = ev.listingIds[8 + (i % 4)] ?? "L9";
						await evictDurableObject(listingInventoryOf(env, ev.eventId, victim)).then(
							() => (evictions += 1),
							() => undefined,
						);
					}
					if (res.status === 201) {
						granted.push({ ...(await res.json<{ holdId: string; listingId: string }>()), session: s });
						return;
					}
					expect(await errorCode(res)).toBe("sold_out");
				}
			}),
		);
		expect(evictions).toBeGreaterThan(0);
		expect(granted).toHaveLength(12);
		// The ledger comes back for the broken objects, but their failed rows still wait out their
		// back-off (pushed well past this test); then every kind of change, one on each of their holds:
		// confirm, release, cancel, expiry. Each change's row must wait behind its grant's.
		for (const listingId of ev.listingIds.slice(0, 4)) {
			await runInDurableObject(listingInventoryOf(env, ev.eventId, listingId), (instance: ListingInventory, state) => {
				Object.assign(instance, { env });
				state.storage.sql.exec("UPDATE outbox SET next_attempt_at = ? WHERE target = 'ledger'", Date.now() + 60_000);
			});
		}
		const holdOn = (listingId: string) => {
			const g = granted.find((x) => x.listingId === listingId);
			if (!g) throw new Error(`${listingId} was not sold`);
			return g;
		};
		const [a, b, c, d] = ev.listingIds.slice(0, 4).map(holdOn) as [
			(typeof granted)[0],
			(typeof granted)[0],
			(typeof granted)[0],
			(typeof granted)[0],
		];
		expect((await admin("POST", `/api/admin/holds/${a.holdId}/confirm`)).status).toBe(200);
		expect((await admin("POST", `/api/admin/holds/${b.holdId}/release`)).status).toBe(200);
		expect((await cancel(c.session, c.holdId)).status).toBe(200);
		const inventoryD = listingInventoryOf(env, ev.eventId, d.listingId);
		await runInDurableObject(inventoryD, (_: ListingInventory, state) => {
			state.storage.sql.exec("UPDATE holds SET expires_at = ? WHERE status = 'held'", Date.now() - 1);
		});
		await runDurableObjectAlarm(inventoryD);

		// The broken objects have their rows still; evicted, their alarms deliver them, each row twice
		// (as if every delete had been lost after the ledger answered).
		expect(await pendingLedgerRows(ev.eventId, ev.listingIds[0] ?? "L1")).toBeGreaterThan(0);
		for (const listingId of ev.listingIds.slice(0, 4)) {
			await runInDurableObject(listingInventoryOf(env, ev.eventId, listingId), (_: ListingInventory, state) => {
				state.storage.sql.exec(
					"INSERT INTO outbox (target, body, next_attempt_at) SELECT target, body, 0 FROM outbox WHERE target = 'ledger'",
				);
			});
		}
		for (const listingId of ev.listingIds.slice(0, 8)) await resendNow(ev.eventId, listingId);

		const expected = await changesInObjects(ev.eventId, ev.listingIds);
		expect([...expected.values()].reduce((n, v) => n + v, 0)).toBe(16);
		await eventuallyOrders(ev.eventId, (rows) => {
			expect(rows).toHaveLength(12);
			expect(rows.every((r) => (r.status === "held" ? true : expected.get(r.holdId) === 2))).toBe(true);
			expect(rows.filter((r) => r.status !== "held")).toHaveLength(4);
		});
		await vi.waitFor(
			async () => {
				const changes = holdChanges(await entriesOf(ev.eventId));
				// Exactly once each: versions 1 … current of every hold, and nothing else.
				const want = [...expected].flatMap(([holdId, v]) => Array.from({ length: v }, (_, i) => `${holdId}:${i + 1}`));
				expect(changes.map((x) => x.split(":").slice(0, 2).join(":")).sort()).toEqual(want.sort());
			},
			{ timeout: 10_000, interval: 200 },
		);
		const report = await verify(ev.eventId);
		expect(report.problems).toEqual([]);
		expect(report).toMatchObject({ ok: true, holds: 12, holdEntries: 16, orders: 12 });
	}, 120_000); // ~15 s alone; a machine shared with other test runs can make it three times that
});

describe("tampering", () => {
	it("one stored entry edited in the ledger's own storage is caught by the verifier", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const b1 = await login(ev.eventId, "B1");
		expect((await claim(b1, "L1")).status).toBe(201);
		await vi.waitFor(async () => expect(holdChanges(await entriesOf(ev.eventId))).toHaveLength(1), { timeout: 5_000 });
		await eventuallyOrders(ev.eventId, (rows) => expect(rows).toHaveLength(1));
		expect((await verify(ev.eventId)).problems).toEqual([]);
		const head = await (await call(`/api/events/${ev.eventId}/ledger/head`)).json<{ seq: number; hash: string }>();

		// Someone with access to the object's storage gives the unit to another buyer.
		await runInDurableObject(eventLedgerOf(env, ev.eventId), (_: EventLedger, state) => {
			state.storage.sql.exec("UPDATE entries SET data = json_set(data, '$.buyerId', 'B9') WHERE kind = 'hold_granted'");
		});
		const report = await verify(ev.eventId);
		expect(report.ok).toBe(false);
		expect(report.problems).toContain(`seq ${head.seq}: hash does not match its content (the entry was changed)`);
		expect(report.problems.some((p) => p.includes("listing or buyer differ between D1 and the ledger"))).toBe(true);

		// And a forger who also rewrote the hash (and so every later prev) is caught by the head published before.
		await runInDurableObject(eventLedgerOf(env, ev.eventId), (_: EventLedger, state) => {
			state.storage.sql.exec("UPDATE entries SET hash = ? WHERE seq = ?", "f".repeat(64), head.seq);
		});
		const forged = verifyLedgerExport(await exportText(ev.eventId), { publishedHead: head });
		expect(forged.problems).toContain(`published head seq ${head.seq}: the ledger's entry has another hash`);
	});
});
