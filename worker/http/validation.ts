// Request parsing: bounded body reads, JSON, zod. Every failure is a 400/413 from API.md's table that
// names the offending field, and nothing is touched before the whole request has been validated.
import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "./errors";

export const BUYER_BODY_LIMIT = 16 * 1024;
export const ADMIN_BODY_LIMIT = 2 * 1024 * 1024;

export const idSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must match ^[A-Za-z0-9_-]{1,64}$");
/**
 * Times an operator may set: ISO-8601, within 2000–2099 (issue 10: year 0000 was accepted, and a time
 * outside any sale's life is a typo that would only show as a never-opening event).
 */
export const isoTimeSchema = z.iso.datetime({ offset: true, message: "must be an ISO-8601 date-time" }).refine((t) => {
	const ms = Date.parse(t);
	return ms >= Date.UTC(2000, 0, 1) && ms < Date.UTC(2100, 0, 1);
}, "must be between 2000 and 2099");

/** ISO-4217 codes this runtime knows (ICU's list, the same in workerd and Node), not any 3 letters. */
const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));
export const currencySchema = z.string().refine((code) => CURRENCIES.has(code), "must be an ISO-4217 code such as CNY");

/**
 * Reads the body as bytes, refusing more than `limit` even when Content-Length lies or is absent.
 * The raw bytes are returned too: request signatures are computed over them.
 */
export async function readBodyBytes(c: Context, limit: number): Promise<Uint8Array<ArrayBuffer>> {
	const length = c.req.header("content-length");
	const declared = Number(length ?? "0");
	if (declared > limit) throw tooLarge(limit);
	const body = c.req.raw.body;
	if (!body) return new Uint8Array(0);
	// A declared length within the limit (every client of ours sends one): HTTP framing delivers no
	// more than that, so the body is read in one call instead of chunk by chunk.
	if (length !== undefined && Number.isInteger(declared) && declared >= 0) {
		const bytes = new Uint8Array(await c.req.raw.arrayBuffer());
		if (bytes.byteLength > limit) throw tooLarge(limit);
		return bytes;
	}
	const chunks: Uint8Array[] = [];
	let size = 0;
	const reader = body.getReader();
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > limit) {
			await reader.cancel();
			throw tooLarge(limit);
		}
		chunks.push(value);
	}
	const out = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		out.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return out;
}

/**
 * API.md: login and buyer mutations with a body take `content-type: application/json` only (400
 * otherwise). text/plain and form types are what a foreign page can send cross-site without a CORS
 * preflight; refusing them keeps a hostile page from using its visitors' browsers.
 */
export function requireJsonBody(c: Context): void {
	const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
	if (type !== "application/json") {
		throw new ApiError("invalid_request", "content-type: must be application/json", {
			details: { field: "content-type" },
		});
	}
}

/** Reused: a fatal decoder keeps no state between complete inputs. */
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function parseJson<T extends z.ZodType>(bytes: Uint8Array, schema: T): z.infer<T> {
	let value: unknown;
	try {
		value = JSON.parse(utf8Decoder.decode(bytes));
	} catch {
		throw new ApiError("invalid_request", "The body is not valid JSON.", { details: { field: "body" } });
	}
	return validate(schema, value, "body");
}

export async function readJson<T extends z.ZodType>(c: Context, schema: T, limit: number): Promise<z.infer<T>> {
	return parseJson(await readBodyBytes(c, limit), schema);
}

/** Validates route params or query strings with the same error shape as bodies. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
	const result = schema.safeParse(value);
	if (result.success) return result.data;
	const issue = result.error.issues[0];
	const field = issue && issue.path.length > 0 ? issue.path.join(".") : where;
	throw new ApiError("invalid_request", `${field}: ${issue?.message ?? "invalid"}`, { details: { field } });
}

export function param(c: Context, name: string): string {
	return validate(idSchema, c.req.param(name), name);
}

function tooLarge(limit: number): ApiError {
	return new ApiError("body_too_large", `The body is larger than ${limit} bytes.`);
}
