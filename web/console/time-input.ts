// The console's time fields are datetime-local inputs in the operator's own clock: one conversion
// from an ISO instant, shared by the event form and the rehearsal form so both read the same way.

/** An ISO time as the value of a datetime-local input (the operator's local time). */
export function toLocalInput(iso: string): string {
	const d = new Date(iso);
	const pad = (n: number) => String(n).padStart(2, "0");
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
