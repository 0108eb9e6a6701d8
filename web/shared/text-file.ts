// Reads an imported file's bytes as text, saying which encoding it used (issue 13: a CSV saved by
// Chinese Excel is GBK, and reading it as UTF-8 turned every name into "����" without a word).
// The order: a byte-order mark says it outright (UTF-8, UTF-16); otherwise the bytes are tried as
// strict UTF-8, which GBK text practically never is; then as GB18030, the superset of GBK that
// Chinese Windows writes. Both decoders are fatal: a byte sequence that is neither gives "unreadable"
// and the console imports nothing, instead of replacing characters silently.

export type TextEncodingName = "utf8" | "utf8bom" | "utf16" | "gb18030";

export type DecodedFile = { ok: true; text: string; encoding: TextEncodingName } | { ok: false };

function strict(label: string, bytes: Uint8Array): string | null {
	try {
		return new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes);
	} catch {
		return null;
	}
}

export function decodeTextFile(bytes: Uint8Array): DecodedFile {
	const [b0, b1, b2] = bytes;
	const found = (text: string | null, encoding: TextEncodingName): DecodedFile =>
		text === null ? { ok: false } : { ok: true, text, encoding };
	if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return found(strict("utf-8", bytes.subarray(3)), "utf8bom");
	if (b0 === 0xff && b1 === 0xfe) return found(strict("utf-16le", bytes.subarray(2)), "utf16");
	if (b0 === 0xfe && b1 === 0xff) return found(strict("utf-16be", bytes.subarray(2)), "utf16");
	const utf8 = strict("utf-8", bytes);
	if (utf8 !== null) return { ok: true, text: utf8, encoding: "utf8" };
	return found(strict("gb18030", bytes), "gb18030");
}
