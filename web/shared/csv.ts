// CSV import for the operator console. The whole file is checked before anything is sent, and every
// bad row is reported with its line number, so an operator fixes the file once; the server then
// imports it in one all-or-nothing call. The rules mirror docs/API.md's bulk endpoints.

import { isFloorPlanUrl, isOrientation } from "../../client/listing-details";

/** A problem is a message key and its values, so the console can say it in either language. */
export interface CsvProblem {
	/** 1-based line of the file (the header is line 1). */
	line: number;
	key: CsvMessage;
	vars?: Record<string, string | number>;
}

export type CsvMessage =
	| "csv_empty"
	| "csv_unknown_column"
	| "csv_missing_column"
	| "csv_repeated_column"
	| "csv_no_rows"
	| "csv_too_many"
	| "csv_field_count"
	| "csv_duplicate_id"
	| "csv_bad_value"
	| "csv_server";

/** Why a value was refused: a message key of its own, with the limits as values. */
export interface RuleProblem {
	rule:
		| "rule_text"
		| "rule_int"
		| "rule_id"
		| "rule_area"
		| "rule_phone"
		| "rule_code"
		| "rule_floorPlanUrl"
		| "rule_orientation";
	vars?: Record<string, number>;
}

export type CsvResult<T> = { ok: true; rows: T[] } | { ok: false; problems: CsvProblem[] };

export const MAX_ROWS = 5_000;

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. Returns rows with their line. */
export function parseCsv(text: string): { cells: string[]; line: number }[] {
	const rows: { cells: string[]; line: number }[] = [];
	let cells: string[] = [];
	let field = "";
	let quoted = false;
	let line = 1;
	let rowLine = 1;
	const src = text.replace(/^\ufeff/, "");
	for (let i = 0; i < src.length; i++) {
		const ch = src[i];
		if (quoted) {
			if (ch === '"' && src[i + 1] === '"') {
				field += '"';
				i++;
			} else if (ch === '"') {
				quoted = false;
			} else {
				if (ch === "\n") line++;
				field += ch;
			}
			continue;
		}
		if (ch === '"' && field === "") quoted = true;
		else if (ch === ",") {
			cells.push(field);
			field = "";
		} else if (ch === "\n" || ch === "\r") {
			if (ch === "\r" && src[i + 1] === "\n") i++;
			cells.push(field);
			rows.push({ cells, line: rowLine });
			cells = [];
			field = "";
			line++;
			rowLine = line;
		} else field += ch;
	}
	if (field !== "" || cells.length > 0) {
		cells.push(field);
		rows.push({ cells, line: rowLine });
	}
	// Blank lines (often the last one) are not rows.
	return rows.filter((r) => r.cells.some((c) => c.trim() !== ""));
}

type Rule = (value: string) => RuleProblem | null;

interface Column {
	required: boolean;
	rule: Rule;
	/** Converts the checked text to what the API expects. */
	convert: (value: string) => string | number;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

const text =
	(max: number): Rule =>
	(v) =>
		v.trim().length >= 1 && v.trim().length <= max ? null : { rule: "rule_text", vars: { max } };
const integer =
	(min: number, max: number): Rule =>
	(v) =>
		/^-?\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= max ? null : { rule: "rule_int", vars: { min, max } };
const pattern =
	(re: RegExp, rule: RuleProblem["rule"]): Rule =>
	(v) =>
		re.test(v.trim()) ? null : { rule };

const asText = (v: string) => v.trim();
const asNumber = (v: string) => Number(v.trim());

export const LISTING_COLUMNS: Record<string, Column> = {
	id: { required: true, rule: pattern(ID, "rule_id"), convert: asText },
	building: { required: true, rule: text(32), convert: asText },
	floor: { required: true, rule: integer(-10, 300), convert: asNumber },
	unit: { required: true, rule: text(32), convert: asText },
	layout: { required: true, rule: text(64), convert: asText },
	areaM2: {
		required: true,
		rule: (v) =>
			/^\d+(\.\d+)?$/.test(v.trim()) && Number(v) > 0 && Number(v) <= 100_000 ? null : { rule: "rule_area" },
		convert: asNumber,
	},
	priceCents: { required: true, rule: integer(0, Number.MAX_SAFE_INTEGER), convert: asNumber },
	stock: { required: false, rule: integer(0, 100_000), convert: asNumber },
	// Issue 13: optional unit details (client/listing-details.ts says what is valid).
	floorPlanUrl: {
		required: false,
		rule: (v) => (isFloorPlanUrl(v.trim()) ? null : { rule: "rule_floorPlanUrl" }),
		convert: asText,
	},
	orientation: {
		required: false,
		rule: (v) => (isOrientation(v.trim()) ? null : { rule: "rule_orientation" }),
		convert: asText,
	},
};

export const BUYER_COLUMNS: Record<string, Column> = {
	id: { required: true, rule: pattern(ID, "rule_id"), convert: asText },
	name: { required: false, rule: text(100), convert: asText },
	phone: { required: false, rule: pattern(/^\+?[0-9][0-9 -]{4,19}$/, "rule_phone"), convert: asText },
	accessCode: { required: false, rule: pattern(/^[A-Za-z0-9]{8,32}$/, "rule_code"), convert: asText },
};

/** Checks a whole file against `columns`; every problem is reported, and no row passes if any fails. */
export function checkCsv(source: string, columns: Record<string, Column>): CsvResult<Record<string, string | number>> {
	const [header, ...rows] = parseCsv(source);
	if (!header) return { ok: false, problems: [{ line: 1, key: "csv_empty" }] };
	const names = header.cells.map((c) => c.trim());
	const problems: CsvProblem[] = [];
	for (const name of names) {
		if (!(name in columns)) problems.push({ line: 1, key: "csv_unknown_column", vars: { column: name } });
	}
	for (const [name, col] of Object.entries(columns)) {
		if (col.required && !names.includes(name)) {
			problems.push({ line: 1, key: "csv_missing_column", vars: { column: name } });
		}
	}
	if (new Set(names).size !== names.length) problems.push({ line: 1, key: "csv_repeated_column" });
	if (problems.length > 0) return { ok: false, problems };
	if (rows.length === 0) return { ok: false, problems: [{ line: 2, key: "csv_no_rows" }] };
	if (rows.length > MAX_ROWS) {
		return { ok: false, problems: [{ line: rows[MAX_ROWS]?.line ?? 1, key: "csv_too_many", vars: { max: MAX_ROWS } }] };
	}

	const seen = new Map<string, number>();
	const out: Record<string, string | number>[] = [];
	for (const row of rows) {
		if (row.cells.length !== names.length) {
			problems.push({
				line: row.line,
				key: "csv_field_count",
				vars: { n: row.cells.length, m: names.length },
			});
			continue;
		}
		const item: Record<string, string | number> = {};
		names.forEach((name, i) => {
			const col = columns[name];
			const value = row.cells[i] ?? "";
			if (!col || (!col.required && value.trim() === "")) return;
			const problem = col.rule(value);
			if (problem) {
				problems.push({
					line: row.line,
					key: "csv_bad_value",
					vars: { column: name, value, rule: problem.rule, ...problem.vars },
				});
			} else item[name] = col.convert(value);
		});
		const id = typeof item.id === "string" ? item.id : null;
		if (id !== null) {
			const first = seen.get(id);
			if (first !== undefined) problems.push({ line: row.line, key: "csv_duplicate_id", vars: { id, first } });
			else seen.set(id, row.line);
		}
		out.push(item);
	}
	return problems.length > 0 ? { ok: false, problems } : { ok: true, rows: out };
}

/** The file line of row `index` of the body (for a server answer naming `listings.<index>.field`). */
export function lineOfRow(source: string, index: number): number {
	return parseCsv(source)[index + 1]?.line ?? index + 2;
}

/** One CSV line, quoting what needs it. */
export function toCsvLine(values: (string | number | null)[]): string {
	return values
		.map((v) => {
			const s = v === null ? "" : String(v);
			return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
		})
		.join(",");
}
