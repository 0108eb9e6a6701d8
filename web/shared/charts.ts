// Time-series charts of the dashboard, drawn with uPlot (a small canvas chart library, bundled into
// the page). Each chart keeps the last WINDOW points; a new rejection code adds a series, which uPlot
// supports by rebuilding the chart (rare: there are few codes). The time axis speaks the page's
// language and its 24-hour clock (uPlot's own labels are US English: "11/25/26 9:27am").
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { lang } from "./i18n";

const WINDOW = 300;
const COLORS = ["#b3261e", "#1a56db", "#7a4b00", "#11643a", "#6b21a8", "#0e7490", "#9d174d", "#4b5563"];

export class SeriesChart {
	private plot: uPlot | null = null;
	private readonly times: number[] = [];
	private readonly series = new Map<string, (number | null)[]>();

	constructor(
		private readonly root: HTMLElement,
		private readonly label: (name: string) => string,
	) {
		new ResizeObserver(() => this.plot?.setSize(this.size())).observe(root);
	}

	/** Adds one point per series at `time` (epoch ms); series missing from `values` get 0. */
	push(time: number, values: Record<string, number>): void {
		const known = this.series.size;
		for (const name of Object.keys(values)) {
			if (!this.series.has(name))
				this.series.set(
					name,
					this.times.map(() => 0),
				);
		}
		this.times.push(time / 1000);
		for (const [name, points] of this.series) points.push(values[name] ?? 0);
		if (this.times.length > WINDOW) {
			this.times.shift();
			for (const points of this.series.values()) points.shift();
		}
		if (this.plot === null || this.series.size !== known) this.rebuild();
		else this.plot.setData(this.data());
	}

	/** Labels are translated: rebuild on a language change. */
	relabel(): void {
		if (this.plot) this.rebuild();
	}

	private data(): uPlot.AlignedData {
		return [this.times, ...this.series.values()];
	}

	private size(): { width: number; height: number } {
		return { width: Math.max(240, this.root.clientWidth), height: 200 };
	}

	private rebuild(): void {
		this.plot?.destroy();
		const names = [...this.series.keys()];
		this.plot = new uPlot(
			{
				...this.size(),
				series: [
					{},
					...names.map((name, i) => ({ label: this.label(name), stroke: COLORS[i % COLORS.length], width: 2 })),
				],
				axes: [{ space: 80, values: (_u, splits) => splits.map((s) => clockTime(s)) }, { size: 50 }],
				scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
				legend: { live: false },
			},
			this.data(),
			this.root,
		);
	}
}

/** "09:27:41": a chart time (epoch seconds) on the page's clock, in its language. */
export function clockTime(epochSeconds: number): string {
	return new Date(epochSeconds * 1000).toLocaleTimeString(lang() === "zh" ? "zh-CN" : "en-GB", {
		hour: "2-digit",
		minute: "2-digit",
		second: "2-digit",
		hourCycle: "h23",
	});
}
