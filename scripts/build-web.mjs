#!/usr/bin/env node
// Builds the pages' scripts and styles from web/ into public/assets/ with esbuild: one bundle per
// page (the client module, the chart library and the shared code included), minified by the tool,
// Run by `npm start`, CI and the browser tests; `--watch` rebuilds on change. Source maps only with
// `--watch` (local debugging): public/ is uploaded as it is, and a public map hands out the pages'
// source (issue 10); public/.assetsignore keeps any stale *.map from being uploaded all the same.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
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
	sourcemap: watch ? "linked" : false,
	legalComments: "linked",
	logLevel: "info",
};

// A map left by an earlier build would still be served next to the new bundle.
for (const file of existsSync("public/assets") ? readdirSync("public/assets") : []) {
	if (file.endsWith(".map")) rmSync(join("public/assets", file));
}

if (watch) {
	const ctx = await esbuild.context(options);
	await ctx.watch();
} else {
	await esbuild.build(options);
}
