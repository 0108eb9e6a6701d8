#!/usr/bin/env node
// Builds the pages' scripts and styles from web/ into public/assets/ with esbuild: one bundle per
// page (the client module, the chart library and the shared code included), minified by the tool,
// with source maps. Run by `npm start`, CI and the browser tests; `--watch` rebuilds on change.
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");

/** @type {import("esbuild").BuildOptions} */
const options = {
	entryPoints: {
		buyer: "web/buyer.ts",
		dashboard: "web/dashboard.ts",
		console: "web/console.ts",
		styles: "web/styles.css",
	},
	outdir: "public/assets",
	bundle: true,
	format: "esm",
	target: ["es2022", "chrome110", "safari16", "firefox110"],
	minify: true,
	sourcemap: true,
	legalComments: "linked",
	logLevel: "info",
};

if (watch) {
	const ctx = await esbuild.context(options);
	await ctx.watch();
} else {
	await esbuild.build(options);
}
