#!/usr/bin/env node
// Runs before `npm test` (npm's pretest): the browser tests drive Debian's Chromium, never a
// downloaded browser. On a fresh machine of this project's kind (root, apt) it installs the package;
// elsewhere it says what to install and stops, rather than letting the browser tests fail obscurely.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (existsSync(path)) process.exit(0);

const canInstall = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
if (!canInstall) {
	console.error(
		`The browser tests need Chromium at ${path}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`,
	);
	process.exit(1);
}
console.log("Installing Debian's chromium for the browser tests (apt-get install -y chromium)…");
/** @param {string[]} args */
const apt = (...args) =>
	spawnSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status;
const install = () => apt("install", "-y", "chromium");
// A fresh machine has no package lists yet: update once, then try again.
let status = install();
if (status !== 0) {
	apt("update");
	status = install();
}
process.exit(status ?? 1);
