import { describe, expect, it } from "vitest";
import { BUYER_COLUMNS, checkCsv } from "./csv";
import { decodeTextFile } from "./text-file";

const TEXT = "id,name,phone\nb1,张三,13800000001\nb2,欧阳娜娜,13800000002\nb3,龍鳳,13800000003\n";
/** TEXT as `iconv -f utf-8 -t gbk` writes it (what Chinese Excel saves as "CSV"). */
const GBK = hex(
	"69642c6e616d652c70686f6e650a62312cd5c5c8fd2c31333830303030303030310a62322cc5b7d1f4c4c8c4c82c31333830303030303030320a62332cfd88f8502c31333830303030303030330a",
);

function hex(text: string): Uint8Array {
	return new Uint8Array((text.match(/../g) ?? []).map((b) => Number.parseInt(b, 16)));
}

function bytes(...parts: (Uint8Array | number[])[]): Uint8Array {
	return new Uint8Array(parts.flatMap((p) => [...p]));
}

/** UTF-16 code units of `text`, little- or big-endian. */
function utf16(text: string, littleEndian: boolean): Uint8Array {
	const out = new Uint8Array(text.length * 2);
	const view = new DataView(out.buffer);
	for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i), littleEndian);
	return out;
}

describe("decodeTextFile", () => {
	it("reads a GBK file (Chinese Excel) as GB18030, with every name intact", () => {
		const decoded = decodeTextFile(GBK);
		expect(decoded).toEqual({ ok: true, text: TEXT, encoding: "gb18030" });
		const checked = decoded.ok ? checkCsv(decoded.text, BUYER_COLUMNS) : null;
		expect(checked?.ok && checked.rows.map((r) => r.name)).toEqual(["张三", "欧阳娜娜", "龍鳳"]);
	});

	it("reads UTF-8 as UTF-8, and says when a BOM was there (the BOM is not part of the text)", () => {
		const utf8 = new TextEncoder().encode(TEXT);
		expect(decodeTextFile(utf8)).toEqual({ ok: true, text: TEXT, encoding: "utf8" });
		expect(decodeTextFile(bytes([0xef, 0xbb, 0xbf], utf8))).toEqual({ ok: true, text: TEXT, encoding: "utf8bom" });
	});

	it("reads UTF-16 with its BOM (Excel's 'Unicode text')", () => {
		const le = utf16(TEXT, true);
		expect(decodeTextFile(bytes([0xff, 0xfe], le))).toEqual({ ok: true, text: TEXT, encoding: "utf16" });
		const be = utf16(TEXT, false);
		expect(decodeTextFile(bytes([0xfe, 0xff], be))).toEqual({ ok: true, text: TEXT, encoding: "utf16" });
	});

	it("never guesses: bytes that are neither UTF-8 nor GB18030 are unreadable, not replaced", () => {
		expect(decodeTextFile(bytes([0x69, 0x64, 0x2c, 0xff, 0x41]))).toEqual({ ok: false });
		// A BOM that promises UTF-8 followed by GBK bytes is a broken file, not GBK.
		expect(decodeTextFile(bytes([0xef, 0xbb, 0xbf], GBK))).toEqual({ ok: false });
	});

	it("an ASCII-only file is UTF-8", () => {
		expect(decodeTextFile(new TextEncoder().encode("id\nb1\n"))).toEqual({
			ok: true,
			text: "id\nb1\n",
			encoding: "utf8",
		});
	});
});
