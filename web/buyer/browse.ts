// Browsing before login and before the opening (issue 13): the grid, the details and the filters work
// from the public listings read without a session. What the claim action needs is said beside it, from
// the state at this moment: log in first, and when the sale opens (Beijing time).
import { t } from "../shared/i18n";
import { formatBeijing } from "./beijing-time";

export interface ClaimNeeds {
	loggedIn: boolean;
	/** The sale's state now (the page's clock-aware state, not a stale answer). */
	state: string;
	startsAt: string | null;
}

/** The line under the claim button: what is missing before a claim can be made; "" when nothing is. */
export function claimNeedsText({ loggedIn, state, startsAt }: ClaimNeeds): string {
	const parts: string[] = [];
	if (!loggedIn) parts.push(t("browseLoginHint"));
	if (state === "scheduled" && startsAt) parts.push(t("opensAtLine", { time: formatBeijing(startsAt) }));
	return parts.join(" ");
}
