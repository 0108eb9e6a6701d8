// Every API error code (API.md's table) as a sentence for people, in the current language.
import { t } from "./i18n";
import { MESSAGES, type MessageKey } from "./messages";

export interface ErrorLike {
	code: string;
	message: string;
	retryAfter: number | null;
	field?: string | undefined;
}

/** Turns anything thrown by a fetch or the API client into a readable message. */
export function describeError(err: unknown): string {
	const e = toErrorLike(err);
	const key = `err_${e.code}` as MessageKey;
	if (e.code === "network") return t("err_network");
	if (!(key in MESSAGES.zh)) return t("err_unknown", { code: e.code });
	return t(key, { n: e.retryAfter ?? 1, detail: e.field ?? e.message });
}

export function toErrorLike(err: unknown): ErrorLike {
	if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string") {
		const o = err as { code: string; message?: unknown; retryAfter?: unknown; field?: unknown; body?: unknown };
		const field =
			typeof o.field === "string"
				? o.field
				: typeof o.body === "object" && o.body !== null
					? fieldOf(o.body as Record<string, unknown>)
					: undefined;
		return {
			code: o.code,
			message: typeof o.message === "string" ? o.message : o.code,
			retryAfter: typeof o.retryAfter === "number" ? o.retryAfter : null,
			field,
		};
	}
	// fetch() rejects with a TypeError when the network fails; anything else is a bug of the page.
	if (err instanceof TypeError && /fetch|network|load/i.test(err.message)) {
		return { code: "network", message: err.message, retryAfter: null };
	}
	console.error(err);
	return { code: "page_error", message: String(err), retryAfter: null };
}

function fieldOf(body: Record<string, unknown>): string | undefined {
	const error = body.error as { field?: unknown } | undefined;
	return typeof error?.field === "string" ? error.field : undefined;
}
