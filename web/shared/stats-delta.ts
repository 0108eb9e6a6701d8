// The rejection chart plots what each stats frame added to the hub's running totals. The first frame
// is the baseline (what happened before the page connected is not a spike at the moment it did); a
// code that first appears in a later frame counts in full, since it was 0 before (issue 13: the chart
// showed 0 while the counters said 2, because a new code was taken as its own baseline).
export function rejectionDelta(
	previous: Readonly<Record<string, number>> | null,
	current: Readonly<Record<string, number>>,
): Record<string, number> {
	const delta: Record<string, number> = {};
	for (const [code, n] of Object.entries(current)) {
		delta[code] = previous === null ? 0 : Math.max(0, n - (previous[code] ?? 0));
	}
	return delta;
}
