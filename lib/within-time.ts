// A bound on how long a caller waits for a promise. The work itself goes on (a Durable Object call
// cannot be cancelled); only the wait ends, with an error the caller turns into its own answer.
export function withinTime<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
