// A tiny element builder: pages are built from DOM nodes, never from HTML strings, so nothing a
// server or a CSV file says can become markup (and the CSP needs no inline anything).

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
	tag: K,
	props: Record<string, string | number | boolean | undefined> = {},
	...children: Child[]
): HTMLElementTagNameMap[K] {
	const el = document.createElement(tag);
	for (const [name, value] of Object.entries(props)) {
		if (value === undefined || value === false) continue;
		if (name === "class") el.className = String(value);
		else if (name === "text") el.textContent = String(value);
		else el.setAttribute(name, value === true ? "" : String(value));
	}
	for (const child of children) if (child) el.append(child);
	return el;
}

export function $(selector: string): HTMLElement {
	const el = document.querySelector<HTMLElement>(selector);
	if (!el) throw new Error(`page is missing ${selector}`);
	return el;
}

export function $input(selector: string): HTMLInputElement {
	const el = $(selector);
	if (!(el instanceof HTMLInputElement)) throw new Error(`${selector} is not an input`);
	return el;
}

export function $button(selector: string): HTMLButtonElement {
	const el = $(selector);
	if (!(el instanceof HTMLButtonElement)) throw new Error(`${selector} is not a button`);
	return el;
}

/** Shows a message in a live region; "error" regions are role=alert in the page. */
export function say(region: HTMLElement, text: string, kind: "info" | "error" = "info"): void {
	region.textContent = text;
	region.dataset.kind = kind;
}

/** Offers `text` as a file download (orders export, generated access codes, the ledger). */
export function download(filename: string, text: string, type = "text/csv;charset=utf-8", bom = true): void {
	// A BOM so that spreadsheet programs read the Chinese text as UTF-8 (not for JSON Lines, whose
	// readers take the first line as it is).
	const url = URL.createObjectURL(new Blob(bom ? ["\ufeff", text] : [text], { type }));
	const a = h("a", { href: url, download: filename });
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
