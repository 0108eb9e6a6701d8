// The console's CSV checks, without a browser: every bad row is found and named by its line.
import { describe, expect, it } from "vitest";
import { BUYER_COLUMNS, checkCsv, LISTING_COLUMNS, lineOfRow, parseCsv, toCsvLine } from "./csv";

const header = "id,building,floor,unit,layout,areaM2,priceCents,stock";

describe("parseCsv", () => {
	it("reads quoted fields with commas, quotes and line breaks, and keeps each row's first line", () => {
		const rows = parseCsv('a,b\r\n"x, y","say ""hi"""\n"two\nlines",z\n\n');
		expect(rows).toEqual([
			{ cells: ["a", "b"], line: 1 },
			{ cells: ["x, y", 'say "hi"'], line: 2 },
			{ cells: ["two\nlines", "z"], line: 3 },
		]);
	});

	it("ignores a byte-order mark", () => {
		expect(parseCsv("\ufeffid\nB1")[0]?.cells).toEqual(["id"]);
	});
});

describe("checkCsv", () => {
	it("converts a clean listings file to API rows, stock optional", () => {
		const result = checkCsv(
			`${header}\n1-1,1号楼,3,01,3室2厅,98.5,300000000,\n1-2,1号楼,3,02,2室,80,1,2\n`,
			LISTING_COLUMNS,
		);
		expect(result).toEqual({
			ok: true,
			rows: [
				{ id: "1-1", building: "1号楼", floor: 3, unit: "01", layout: "3室2厅", areaM2: 98.5, priceCents: 300000000 },
				{ id: "1-2", building: "1号楼", floor: 3, unit: "02", layout: "2室", areaM2: 80, priceCents: 1, stock: 2 },
			],
		});
	});

	it("reports every bad row by its line, duplicates included, and returns no rows", () => {
		const file = [
			header,
			"1-1,1号楼,3,01,3室,98.5,100,1",
			"1-2,1号楼,3.5,02,3室,98.5,100,1",
			"1-1,1号楼,3,03,3室,98.5,100,1",
			"1-4,1号楼,3,04,3室,98.5",
			"bad id,,3,05,3室,0,-1,1",
		].join("\n");
		const result = checkCsv(file, LISTING_COLUMNS);
		expect(result.ok).toBe(false);
		if (result.ok) return;
		expect(result.problems.map((p) => p.line)).toEqual([3, 4, 5, 6, 6, 6, 6]);
		expect(result.problems[1]).toEqual({ line: 4, key: "csv_duplicate_id", vars: { id: "1-1", first: 2 } });
		expect(result.problems[0]).toMatchObject({ key: "csv_bad_value", vars: { column: "floor", rule: "rule_int" } });
	});

	it("checks the header: unknown, missing and repeated columns are line 1", () => {
		const result = checkCsv("id,name,colour\nB1,Li,red", BUYER_COLUMNS);
		expect(result).toEqual({
			ok: false,
			problems: [{ line: 1, key: "csv_unknown_column", vars: { column: "colour" } }],
		});
		const missing = checkCsv("id,building\n1,2", LISTING_COLUMNS);
		expect(missing.ok ? [] : missing.problems.map((p) => p.vars?.column)).toContain("floor");
	});

	it("an empty file or a header alone is refused", () => {
		expect(checkCsv("", BUYER_COLUMNS).ok).toBe(false);
		expect(checkCsv("id,name\n", BUYER_COLUMNS)).toEqual({
			ok: false,
			problems: [{ line: 2, key: "csv_no_rows" }],
		});
	});

	it("buyers: optional columns may be blank; bad phones and codes are named", () => {
		const result = checkCsv("id,name,phone,accessCode\nB1,,,\nB2,王五,12,ab\n", BUYER_COLUMNS);
		expect(result.ok ? [] : result.problems.map((p) => [p.line, p.vars?.column])).toEqual([
			[3, "phone"],
			[3, "accessCode"],
		]);
	});
});

describe("helpers", () => {
	it("maps a server's row index to the file line, and quotes CSV output", () => {
		expect(lineOfRow('id\n"a\nb"\nc', 1)).toBe(4);
		expect(toCsvLine(["a,b", 'q"', null, 3])).toBe('"a,b","q""",,3');
	});
});

describe("listing details columns (issue 13)", () => {
	it("takes floorPlanUrl and orientation as optional columns, checked by the API's rules", () => {
		const head = "id,building,floor,unit,layout,areaM2,priceCents,floorPlanUrl,orientation";
		const good = checkCsv(
			`${head}\n1-1,1号楼,3,01,3室,98.5,100,/floorplans/3br.svg,南北\n1-2,1号楼,3,02,3室,98.5,100,,\n`,
			LISTING_COLUMNS,
		);
		expect(good).toEqual({
			ok: true,
			rows: [
				{
					id: "1-1",
					building: "1号楼",
					floor: 3,
					unit: "01",
					layout: "3室",
					areaM2: 98.5,
					priceCents: 100,
					floorPlanUrl: "/floorplans/3br.svg",
					orientation: "南北",
				},
				{ id: "1-2", building: "1号楼", floor: 3, unit: "02", layout: "3室", areaM2: 98.5, priceCents: 100 },
			],
		});
		const bad = checkCsv(`${head}\n1-1,1号楼,3,01,3室,98.5,100,javascript:alert(1),朝南\n`, LISTING_COLUMNS);
		expect(bad.ok).toBe(false);
		if (bad.ok) return;
		expect(bad.problems.map((p) => p.vars?.rule)).toEqual(["rule_floorPlanUrl", "rule_orientation"]);
	});
});
