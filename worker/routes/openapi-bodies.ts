// The JSON schemas of what the API answers (docs/API.md, client/api-types.ts), for the OpenAPI document
// (openapi.ts). Objects are closed (additionalProperties: false) and every field is required unless
// listed as optional: the workers suites validate every answer they get against these
// (test/openapi-conformance.ts), so a field added, renamed or dropped in the code fails a test until it
// is written down here too.

export type JsonSchema = Record<string, unknown>;

export const ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$";

const id: JsonSchema = { type: "string", pattern: ID_PATTERN };
const text: JsonSchema = { type: "string" };
const int: JsonSchema = { type: "integer" };
const count: JsonSchema = { type: "integer", minimum: 0 };
const time: JsonSchema = { type: "string", format: "date-time" };
const sha256Hex: JsonSchema = { type: "string", pattern: "^[0-9a-f]{64}$" };
const staffRole: JsonSchema = { enum: ["viewer", "sales", "operator"] };

function orNull(schema: JsonSchema): JsonSchema {
	return { anyOf: [schema, { type: "null" }] };
}

/** A closed object whose properties are all required but the `optional` ones. */
function object(properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema {
	return {
		type: "object",
		required: Object.keys(properties).filter((k) => !optional.includes(k)),
		properties,
		additionalProperties: false,
	};
}

function list(items: JsonSchema): JsonSchema {
	return { type: "array", items };
}

/** A reference to one of BODY_SCHEMAS. */
export function ref(name: keyof typeof BODY_SCHEMAS): JsonSchema {
	return { $ref: `#/components/schemas/${name}` };
}

const publicEventFields = {
	id,
	name: text,
	startsAt: time,
	endsAt: time,
	status: { enum: ["scheduled", "open", "paused", "closed"] },
	currency: { type: "string", pattern: "^[A-Z]{3}$" },
	holdSeconds: int,
	perBuyerLimit: int,
	mode: { enum: ["race", "lottery"] },
	batchSize: int,
	batchSeconds: int,
	autoClaimDelaySeconds: int,
	rehearsalOf: orNull(id),
};

const hold = object({ holdId: text, listingId: id, status: text, expiresAt: orNull(time), auto: { const: true } }, [
	"auto",
]);

/** The bodies several operations answer, as components.schemas of the document. */
export const BODY_SCHEMAS = {
	PublicEvent: object(publicEventFields),
	AdminEvent: object({
		...publicEventFields,
		statusMode: { enum: ["auto", "open", "paused", "closed"] },
		openedAt: orNull(time),
		termsFrozenAt: orNull(time),
		drawStatus: { enum: ["none", "committed", "drawn"] },
		createdAt: time,
		updatedAt: time,
	}),
	Listing: object({
		id,
		building: text,
		floor: int,
		unit: text,
		layout: text,
		areaM2: { type: "number" },
		priceCents: count,
		stock: count,
		available: count,
	}),
	/** A hold as its buyer sees it (claims, cancel, /api/me/holds). */
	Hold: hold,
	/** A hold as staff see it (confirm, release). */
	StaffHold: object({
		holdId: text,
		listingId: id,
		buyerId: id,
		status: text,
		priceCents: count,
		expiresAt: orNull(time),
		createdAt: time,
		updatedAt: time,
	}),
	Switches: object({
		claimsPaused: { type: "boolean" },
		smsOff: { type: "boolean" },
		buyerLiveOff: { type: "boolean" },
	}),
	Cursor: orNull(text),
};

/** Each success answer's body, by what the operation answers. */
export const ANSWERS = {
	health: object({ ok: { const: true } }),
	openapi: { type: "object", required: ["openapi", "info", "paths"] },
	adminEvent: object({ event: ref("AdminEvent") }),
	adminEventWithCounts: object({
		event: ref("AdminEvent"),
		counts: object({ listings: count, available: count, held: count, confirmed: count, buyers: count }),
	}),
	upserted: object({ upserted: count }),
	buyers: object({ buyers: list(object({ id, accessCode: orNull(text) })) }),
	orders: object({
		orders: list(
			object({
				holdId: text,
				listingId: id,
				buyerId: id,
				status: text,
				priceCents: count,
				createdAt: time,
				updatedAt: time,
			}),
		),
		nextCursor: ref("Cursor"),
	}),
	parity: object({
		eventId: id,
		listings: count,
		objectHolds: count,
		d1Orders: count,
		missing: list(object({ holdId: text, listingId: id, status: text, version: int })),
		stale: list(
			object({
				holdId: text,
				listingId: id,
				objectStatus: text,
				objectVersion: int,
				d1Status: text,
				d1Version: int,
			}),
		),
		unknown: list(text),
		unacknowledged: count,
		inParity: { type: "boolean" },
	}),
	flags: object({ flags: ref("Switches") }),
	liveTicket: object({ ticket: text, expiresAt: time }),
	notifications: object({
		notifications: list(
			object({
				id: text,
				kind: text,
				holdId: text,
				buyerId: id,
				phone: orNull(text),
				body: text,
				provider: text,
				createdAt: time,
			}),
		),
		nextCursor: ref("Cursor"),
	}),
	staffHold: object({ hold: ref("StaffHold") }),
	deadLetters: object({
		deadLetters: list(object({ id: text, queue: text, body: {}, attempts: count, parkedAt: time })),
	}),
	staffCreated: object({ staffId: text, name: text, role: staffRole, token: text }),
	staffList: object({
		staff: list(object({ staffId: text, name: text, role: staffRole, createdAt: time, revokedAt: orNull(time) })),
	}),
	draw: object({
		draw: object({
			status: { enum: ["none", "committed", "drawn"] },
			seedHash: orNull(text),
			buyersHash: orNull(text),
			buyerCount: orNull(count),
			committedAt: orNull(time),
			seed: orNull(text),
			beacon: orNull(text),
			drawnAt: orNull(time),
			order: orNull(list(id)),
		}),
	}),
	turn: object({
		mode: { enum: ["race", "lottery"] },
		position: orNull(count),
		batch: orNull(count),
		entryAt: orNull(time),
	}),
	ledgerPage: object({
		entries: list(
			object({
				seq: { type: "integer", minimum: 1 },
				at: time,
				kind: { type: "string", pattern: "^[a-z][a-z_]*$" },
				actor: { type: "string", pattern: "^(admin|system|staff:.+|buyer:.+)$" },
				data: { type: "object" },
				prev: sha256Hex,
				hash: sha256Hex,
			}),
		),
		nextCursor: orNull(text),
	}),
	ledgerHead: object({ seq: count, hash: sha256Hex, at: orNull(time) }),
	whoami: object({ actor: text, name: text, role: staffRole }),
	replayed: object({ replayed: count, remaining: { anyOf: [{ const: 0 }, { const: "more: call again" }] } }),
	publicEvent: object({ event: ref("PublicEvent"), serverTime: time }),
	listings: object({ listings: list(ref("Listing")), asOf: time }),
	session: object({ buyerId: id, eventId: id, sessionToken: text, signingKey: text, expiresAt: time }),
	purchaseToken: object({ purchaseToken: text, expiresAt: time }),
	hold: ref("Hold"),
	myHolds: object({ eventId: id, holds: list(ref("Hold")) }),
	wishlist: object({ listingIds: list(id), autoClaim: { type: "boolean" } }),
	wishes: object({ listings: list(object({ id, wishes: count, firstChoice: count })) }),
} satisfies Record<string, JsonSchema>;
