// Builds the pages and starts the real dev server once for the browser tests; stops it afterwards.
import type { TestProject } from "vitest/node";
import { buildWeb, startDevServer } from "./dev-server.mjs";

declare module "vitest" {
	export interface ProvidedContext {
		baseUrl: string;
		adminToken: string;
	}
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
	buildWeb();
	const server = await startDevServer();
	project.provide("baseUrl", server.baseUrl);
	if (!server.adminToken) throw new Error(".dev.vars.example has no ADMIN_TOKEN");
	project.provide("adminToken", server.adminToken);
	return server.stop;
}
