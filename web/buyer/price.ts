// Prices as Chinese buyers read them: the total in 万元 (ten thousand yuan) and the price per ㎡ in
// yuan, from the integer priceCents the API sends. Integer arithmetic up to the last step, so a price
// is never shown as 549.99999 万元; other currencies are shown in full in their own unit.

/** Cents in one 万元 (10,000 yuan × 100). */
const CENTS_PER_WAN = 1_000_000;

/** The total: "550.01 万元" in Chinese; in full ("CN¥5,500,100") in English and for other currencies. */
export function formatTotal(priceCents: number, currency: string, lang: "zh" | "en"): string {
	if (currency === "CNY" && lang === "zh") {
		// Hundredths of 万元 (100 yuan), rounded half up: two decimals are what brochures print.
		const hundredths = Math.round(priceCents / (CENTS_PER_WAN / 100));
		return `${new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 2 }).format(hundredths / 100)} 万元`;
	}
	return new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en-US", {
		style: "currency",
		currency,
		maximumFractionDigits: 0,
	}).format(Math.round(priceCents / 100));
}

/** The price per ㎡, whole yuan (or the currency's unit): "42,768 元/㎡", "¥42,768/㎡". */
export function formatPerM2(priceCents: number, areaM2: number, currency: string, lang: "zh" | "en"): string {
	if (!(areaM2 > 0)) return "";
	const perM2 = Math.round(priceCents / areaM2 / 100);
	if (currency === "CNY" && lang === "zh") {
		return `${new Intl.NumberFormat("zh-CN").format(perM2)} 元/㎡`;
	}
	const money = new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en-US", {
		style: "currency",
		currency,
		maximumFractionDigits: 0,
	}).format(perM2);
	return `${money}/㎡`;
}

/** 万元 typed into a filter ("550", "550.5", " 600 ") as cents; null for empty or not a number. */
export function wanToCents(text: string): number | null {
	const trimmed = text.trim();
	if (!/^\d+(\.\d+)?$/.test(trimmed)) return null;
	return Math.round(Number(trimmed) * CENTS_PER_WAN);
}
