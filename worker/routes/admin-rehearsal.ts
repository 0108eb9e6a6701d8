// POST /api/admin/events/:eventId/rehearsal (operator): a rehearsal (模拟开盘) of the event — a copy
// with the same listings, buyers (same access codes) and settings, under its own id and times
// (db/rehearsals.ts). Decisions, written down in docs/API.md: the body is {rehearsalId, startsAt,
// endsAt}; the id must be new; a rehearsal of a rehearsal is refused (409 event_locked: `rehearsalOf`
// always names the real event); the creation is recorded in the rehearsal's own ledger, never in the
// real event's.
import { Hono } from "hono";
import { z } from "zod";
import { eventCounts, findEvent } from "../../db/events";
import { createRehearsal } from "../../db/rehearsals";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { ADMIN_BODY_LIMIT, idSchema, isoTimeSchema, readJson } from "../http/validation";
import { recordOperatorAction } from "../ledger/operator-actions";
import { existingEvent, requireEvent } from "../middleware/require-event";
import { adminView } from "./admin-events";

export const rehearsalBody = z
	.strictObject({ rehearsalId: idSchema, startsAt: isoTimeSchema, endsAt: isoTimeSchema })
	.refine((r) => Date.parse(r.endsAt) > Date.parse(r.startsAt), {
		path: ["endsAt"],
		message: "must be later than startsAt",
	});

export const adminRehearsal = new Hono<AppEnv>().post(
	"/:eventId/rehearsal",
	requireEvent({ fresh: true }),
	async (c) => {
		const source = c.get("event");
		const body = await readJson(c, rehearsalBody, ADMIN_BODY_LIMIT);
		if (source.rehearsalOf !== null) {
			throw new ApiError(
				"event_locked",
				`${source.id} is itself a rehearsal of ${source.rehearsalOf}; rehearse the real event instead.`,
			);
		}
		const times = { startsAt: new Date(body.startsAt).toISOString(), endsAt: new Date(body.endsAt).toISOString() };
		const now = new Date().toISOString();
		const created =
			body.rehearsalId === source.id || (await findEvent(c.env, body.rehearsalId))
				? ({ kind: "exists" } as const)
				: await createRehearsal(c.env, source.id, body.rehearsalId, times, now);
		if (created.kind === "exists") {
			throw new ApiError("event_locked", `An event ${body.rehearsalId} already exists; a rehearsal needs a new id.`, {
				details: { field: "rehearsalId" },
			});
		}
		const rehearsal = await existingEvent(c.env, body.rehearsalId, { fresh: true });
		const counts = await eventCounts(c.env, rehearsal.id);
		// In the rehearsal's own ledger: the real event's ledger records nothing of its rehearsals.
		await recordOperatorAction(c, rehearsal.id, "rehearsal_created", {
			rehearsalOf: source.id,
			...times,
			listings: counts.listings,
			units: counts.stock,
			buyers: counts.buyers,
		});
		return c.json({ event: adminView(rehearsal) });
	},
);
