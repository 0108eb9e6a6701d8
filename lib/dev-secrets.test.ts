// The development secrets the worker refuses outside local development are exactly the documented ones.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEV_SECRETS, devSecretsIn, isLocalHostname } from "./dev-secrets";

describe("development secrets", () => {
	it("are the values .dev.vars.example documents", () => {
		const documented = Object.fromEntries(
			readFileSync(".dev.vars.example", "utf8")
				.split("\n")
				.filter((l) => /^[A-Z_]+=/.test(l))
				.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
		);
		for (const [name, value] of Object.entries(DEV_SECRETS)) expect(documented[name]).toBe(value);
	});

	it("are found in an env that kept any of them", () => {
		expect(devSecretsIn({ ADMIN_TOKEN: "dev-admin-token", SESSION_SECRET: "long random" })).toEqual(["ADMIN_TOKEN"]);
		expect(devSecretsIn({ ADMIN_TOKEN: "x", SESSION_SECRET: "y", ACCESS_CODE_PEPPER: "z" })).toEqual([]);
	});

	it.each([
		["localhost", true],
		["127.0.0.1", true],
		["[::1]", true],
		["kaipan.test", true],
		["app.localhost", true],
		["kaipan.example.com", false],
		["kaipan.workers.dev", false],
		["localhost.example.com", false],
		["127.0.0.1.nip.io", false],
	])("%s is local: %s", (host, local) => {
		expect(isLocalHostname(host)).toBe(local);
	});
});
