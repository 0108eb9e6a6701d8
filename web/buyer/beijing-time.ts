// Times on the buyer page are Beijing time, whatever the phone's own zone: the opening is announced in
// it and the 认购确认书 is a document about a sale in China. Said with the zone, so nobody guesses.
import { lang, t } from "../shared/i18n";

export function formatBeijing(iso: string | number): string {
	const text = new Date(iso).toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB", {
		timeZone: "Asia/Shanghai",
		year: "numeric",
		month: "long",
		day: "numeric",
		hour: "2-digit",
		minute: "2-digit",
		hour12: false,
	});
	return `${text}${t("beijingTimeSuffix")}`;
}
