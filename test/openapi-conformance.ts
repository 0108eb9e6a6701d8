// Every answer the workers suites get from the worker is checked against the OpenAPI document the worker
// serves (GET /api/openapi.json): the method and path must be a documented operation, the status one the
// operation lists, the content type one it documents for that status, the headers it requires present,
// and a JSON body valid against the documented schema. An answer that breaks any of these is recorded
// and fails the test that got it (test/setup.ts), naming method, path, status and the schema's error.
// So a status, a field or a route that the code gained and the document did not fails the suite: the
// document can no longer drift from the code (issue 11: a red team found admin routes answering 403
// that the document did not list).
//
// The validator is @cfworker/json-schema. workerd forbids code generation (`eval`, `new Function`), so
// Ajv would need a precompile step, and a precompiled validator would check yesterday's document rather
// than the one the worker serves now. @cfworker/json-schema was written for exactly this runtime: it
// interprets the schema (no code generation), supports draft 2020-12 (the dialect of OpenAPI 3.1 and of
// zod's z.toJSONSchema), checks `format` (date-time, …), is run against the official JSON-Schema test
// suite, has no dependencies and is widely used (some 13M downloads a month). @hyperjump/json-schema also
// reads OpenAPI 3.1, but it is asynchronous, brings seven dependencies and needs more than we use.
//
// A request to a path or method the document does not describe may only get the app's "no such route"
// answer, 404 not_found with the Error schema (docs/API.md): anything else is a route the document lacks.

import { exports } from "cloudflare:workers";
import { dereference, type OutputUnit, type Schema, validate } from "@cfworker/json-schema";

interface MediaType {
	schema?: Schema;
}

interface ResponseObject {
	description?: string;
	headers?: Record<string, { required?: boolean }>;
	content?: Record<string, MediaType>;
}

interface OperationObject {
	responses?: Record<string, ResponseObject>;
}

interface Document {
	paths: Record<string, Record<string, OperationObject>>;
	components?: { schemas?: Record<string, Schema> };
}

interface Route {
	template: string;
	pattern: RegExp;
	/** Templated segments: a concrete path wins over a templated one (OpenAPI 3.1, "Path Templating"). */
	params: number;
	operations: Record<string, OperationObject>;
}

interface Spec {
	routes: Route[];
	lookup: Record<string, Schema | boolean>;
	/** What any path or method the document does not describe may answer: the app's 404. */
	unknownRoute: ResponseObject;
}

export interface Violation {
	method: string;
	path: string;
	status: number;
	problem: string;
	/** The documented operation ("PUT /api/admin/events/{eventId}"), or the request's method and path. */
	operation: string;
	/** The test that got the answer, when there was one. */
	test: string | undefined;
}

const BASE = new URL("https://kaipan.test/api/openapi.json");
/** Answers without a body by definition. */
const BODYLESS = new Set([101, 204, 205, 304]);

let spec: Promise<Spec> | null = null;
/** Response schemas already registered in the lookup (each is walked once, not on every answer). */
const registered = new WeakSet<Schema>();
const violations: Violation[] = [];

/** The document as the worker serves it, read once per test file (each file has its own module graph). */
function loadSpec(): Promise<Spec> {
	spec ??= (async () => {
		const res = await exports.default.fetch(new Request(BASE));
		if (res.status !== 200) throw new Error(`GET /api/openapi.json answered ${res.status}`);
		return compile(await res.json<Document>());
	})();
	return spec;
}

function compile(doc: Document): Spec {
	// Component schemas are registered under their JSON pointer, so `#/components/schemas/Error` resolves.
	const lookup: Record<string, Schema | boolean> = Object.create(null);
	for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
		dereference(schema, lookup, BASE, `/components/schemas/${name}`);
	}
	const routes = Object.entries(doc.paths).map(([template, operations]) => {
		const segments = template.split("/").map((s) => (/^\{\w+\}$/.test(s) ? "[^/]+" : escapeRegExp(s)));
		return {
			template,
			pattern: new RegExp(`^${segments.join("/")}$`),
			params: template.split("{").length - 1,
			operations,
		};
	});
	routes.sort((a, b) => a.params - b.params);
	const unknownRoute = { content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
	return { routes, lookup, unknownRoute };
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Checks one answer of the worker against the document; what is wrong is kept for takeViolations. */
export async function checkAnswer(
	request: Pick<Request, "method" | "url">,
	response: Response,
	test: string | undefined,
): Promise<void> {
	const { routes, lookup, unknownRoute } = await loadSpec();
	const url = new URL(request.url);
	const method = request.method.toUpperCase();
	const problems: string[] = [];
	// HEAD is answered by the GET route, without a body (Hono does this for every GET).
	const documentedMethod = method === "HEAD" && !routes.some((r) => r.operations.head) ? "get" : method.toLowerCase();
	const route = routes.find((r) => r.pattern.test(url.pathname) && r.operations[documentedMethod]);
	const operation = route?.operations[documentedMethod];
	const where = route ? `${method} ${route.template}` : `${method} ${url.pathname}`;

	let documented: ResponseObject | undefined;
	let pointer = "";
	if (!route || !operation) {
		// Not a documented operation: only the app's answer to an unknown route is allowed.
		if (response.status !== 404) problems.push(`${where} is not in the document, yet it answered ${response.status}`);
		documented = unknownRoute;
		pointer = "/x-unknown-route";
	} else {
		const responses = operation.responses ?? {};
		const status = String(response.status);
		const key = status in responses ? status : `${status[0]}XX` in responses ? `${status[0]}XX` : "default";
		documented = responses[key];
		if (!documented) {
			problems.push(`${where} does not list status ${status} (it lists ${Object.keys(responses).join(", ")})`);
		}
		pointer = `/paths/${escapePointer(route.template)}/${documentedMethod}/responses/${key}`;
	}
	if (documented) {
		for (const [name, header] of Object.entries(documented.headers ?? {})) {
			if (header.required && !response.headers.has(name)) problems.push(`header ${name} is required and missing`);
		}
		problems.push(...(await checkBody(method, response, documented, pointer, lookup)));
	}
	for (const problem of problems) {
		violations.push({
			method,
			path: url.pathname + url.search,
			status: response.status,
			problem,
			operation: where,
			test,
		});
	}
}

async function checkBody(
	method: string,
	response: Response,
	documented: ResponseObject,
	pointer: string,
	lookup: Record<string, Schema | boolean>,
): Promise<string[]> {
	if (BODYLESS.has(response.status) || method === "HEAD") return [];
	let text: string;
	try {
		text = await response.clone().text();
	} catch {
		return []; // the caller gave up on the request (an abort): there is no answer to check
	}
	const content = documented.content ?? {};
	const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
	if (text.length === 0) {
		// An empty line-based file (JSON Lines, CSV) is a whole answer: zero lines. Empty JSON is not.
		const mayBeEmpty = Object.keys(content).every((k) => k !== "application/json");
		return Object.keys(content).length > 0 && !mayBeEmpty
			? [`the document describes a body (${Object.keys(content)}), got none`]
			: [];
	}
	if (Object.keys(content).length === 0) return [`the document describes no body, got ${mediaType || "one"}`];
	const key = Object.keys(content).find((k) => k === mediaType || k === "*/*" || k === `${mediaType.split("/")[0]}/*`);
	if (key === undefined)
		return [`content-type ${mediaType || "(none)"} is not one of ${Object.keys(content).join(", ")}`];
	const schema = content[key]?.schema;
	if (!schema || !/^application\/([\w.-]+\+)?json$/.test(mediaType)) return [];
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		return [`the body is not JSON: ${text.slice(0, 80)}`];
	}
	if (!registered.has(schema)) {
		dereference(schema, lookup, BASE, `${pointer}/content/${escapePointer(key)}/schema`);
		registered.add(schema);
	}
	const result = validate(body, schema, "2020-12", lookup, false);
	return result.valid
		? []
		: [`the body does not match the schema: ${describeErrors(result.errors)}; body: ${text.slice(0, 300)}`];
}

/** The innermost errors (the ones that say what is wrong, not "a subschema had errors"). */
function describeErrors(errors: OutputUnit[]): string {
	const leaves = errors.filter((e) => !/subschema|did not match|Property .* does not match schema/.test(e.error));
	return (leaves.length > 0 ? leaves : errors)
		.slice(0, 5)
		.map((e) => `${e.instanceLocation} ${e.error}`)
		.join("; ");
}

function escapePointer(token: string): string {
	return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** The violations recorded since the last call, and forgets them. */
export function takeViolations(): Violation[] {
	return violations.splice(0, violations.length);
}

/** One line per kind of violation (operation, status, problem), with how often a test met it. */
export function describeViolations(found: Violation[], currentTest?: string): string {
	const kinds = new Map<string, { first: Violation; times: number }>();
	for (const v of found) {
		const key = `${v.operation} ${v.status} ${v.problem.replace(/; body: .*$/s, "")}`;
		const kind = kinds.get(key);
		if (kind) kind.times += 1;
		else kinds.set(key, { first: v, times: 1 });
	}
	const lines = [...kinds.values()].map(({ first: v, times }) => {
		const more = times > 1 ? ` (×${times})` : "";
		const elsewhere = v.test && v.test !== currentTest ? ` (got in "${v.test}")` : "";
		return `  ${v.method} ${v.path} → ${v.status}${more}: ${v.problem}${elsewhere}`;
	});
	return `${found.length} answer(s) the OpenAPI document (worker/routes/openapi.ts) does not describe:\n${lines.join("\n")}`;
}
