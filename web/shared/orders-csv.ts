// The orders export as a sales manager opens it in Excel: readable unit names, the status in words,
// the price in yuan, times in Beijing time (the sale's own clock, whatever the operator's laptop says),
// the ids last for anyone who needs to match them. The page adds the UTF-8 BOM when it saves the
// file (dom.ts download()), which is what makes Excel read it as UTF-8 instead of GBK.
import type { Order } from "../../client/api-types";
import { toCsvLine } from "./csv";
import type { Lang } from "./i18n";
import { MESSAGES, type MessageKey } from "./messages";
import { type UnitPlace, unitLabel } from "./units";

const BEIJING = new Intl.DateTimeFormat("en-CA", {
	timeZone: "Asia/Shanghai",
	year: "numeric",
	month: "2-digit",
	day: "2-digit",
	hour: "2-digit",
	minute: "2-digit",
	second: "2-digit",
	hourCycle: "h23",
});

/** "2026-11-25 17:27:41": an ISO instant as a wall-clock time in Beijing (UTC+8, no DST). */
export function beijingTime(iso: string): string {
	const parts = Object.fromEntries(BEIJING.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
	return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

const COLUMNS = [
	"csvUnit",
	"csvBuyer",
	"csvStatus",
	"csvPrice",
	"csvCreated",
	"csvUpdated",
	"csvListingId",
	"csvHoldId",
] as const satisfies readonly MessageKey[];

/** A cell Excel would read as a formula (a building named "=…" in the imported catalogue) stays text. */
export function inert(value: string): string {
	return /^[=+\-@]/.test(value) ? `'${value}` : value;
}

/** A whole CSV file's text: the header, the rows, CRLF after every line (the BOM is download()'s). */
export function csvDocument(header: readonly string[], rows: readonly (string | number | null)[][]): string {
	return `${[toCsvLine([...header]), ...rows.map((r) => toCsvLine([...r]))].join("\r\n")}\r\n`;
}

/** The CSV text (CRLF lines, no BOM) of `orders`, with units named from the catalogue. */
export function ordersCsv(orders: Order[], units: ReadonlyMap<string, UnitPlace>, lang: Lang): string {
	const text = MESSAGES[lang];
	const status = (s: string) => {
		const key = `holdStatus_${s}`;
		return key in text ? text[key as MessageKey] : s;
	};
	return csvDocument(
		COLUMNS.map((k) => text[k]),
		orders.map((o) => {
			const unit = units.get(o.listingId);
			return [
				inert(unit ? unitLabel(unit) : o.listingId),
				o.buyerId,
				status(o.status),
				(o.priceCents / 100).toFixed(2),
				beijingTime(o.createdAt),
				beijingTime(o.updatedAt),
				o.listingId,
				o.holdId,
			];
		}),
	);
}
