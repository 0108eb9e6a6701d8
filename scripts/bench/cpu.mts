// CPU accounting for a phase: workerd's own CPU time from /proc/<pid>/stat (utime + stime, every thread
// of the process) and this Node process's (the load generator), so each phase can say what a request
// cost the server and how much of the two cores each side used.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = (() => {
	try {
		return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
	} catch {
		return 100;
	}
})();

/** Seconds of CPU the process has used so far, or null where /proc cannot tell. */
export function processCpuSeconds(pid: number | null): number | null {
	if (pid === null) return null;
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		// Fields after the command name, which is in parentheses and may itself contain spaces.
		const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
		const utime = Number(fields[11]);
		const stime = Number(fields[12]);
		return (utime + stime) / TICKS_PER_SECOND;
	} catch {
		return null;
	}
}

export interface CpuWindow {
	/** CPU seconds workerd used in the window (null where not measurable). */
	server: number | null;
	/** CPU seconds this process (the load generator) used in the window. */
	generator: number;
	wallSeconds: number;
}

export function startCpuWindow(workerdPid: number | null): () => CpuWindow {
	const server0 = processCpuSeconds(workerdPid);
	const gen0 = process.cpuUsage();
	const t0 = performance.now();
	return () => {
		const server1 = processCpuSeconds(workerdPid);
		const gen = process.cpuUsage(gen0);
		return {
			server: server0 === null || server1 === null ? null : server1 - server0,
			generator: (gen.user + gen.system) / 1e6,
			wallSeconds: (performance.now() - t0) / 1000,
		};
	};
}
