// One rule for every object's alarm: an object has a single alarm, and several reasons to wake
// (a lease, a hold's expiry, an outbox retry). Setting it unconditionally would let the latest reason
// push an earlier one past its time, so each reason may only bring the alarm forward.
//
// Inside alarm() the alarm that is firing no longer counts (getAlarm() answers null there), so the
// handler re-arms with this same helper.

/** Makes sure the alarm fires no later than `at`: sets it unless one is already set at or before. */
export async function wakeBy(storage: DurableObjectStorage, at: number): Promise<void> {
	const current = await storage.getAlarm();
	if (current === null || current > at) await storage.setAlarm(at);
}
