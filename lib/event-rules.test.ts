// Event status and locking as functions of the stored event and the clock; plain Node, no bindings.
import { describe, expect, it } from "vitest";
import { eventStatus, isLocked } from "./event-rules";

const event = {
	startsAt: "2030-01-01T10:00:00.000Z",
	endsAt: "2030-01-01T12:00:00.000Z",
	statusMode: "auto",
	openedAt: null,
};
const at = (iso: string) => Date.parse(iso);

describe("event rules", () => {
	it("derives scheduled, open and closed from the clock in auto mode", () => {
		expect(eventStatus(event, at("2030-01-01T09:59:59Z"))).toBe("scheduled");
		expect(eventStatus(event, at("2030-01-01T10:00:00Z"))).toBe("open");
		expect(eventStatus(event, at("2030-01-01T12:00:00Z"))).toBe("closed");
	});
	it("lets an operator override win", () => {
		expect(eventStatus({ ...event, statusMode: "paused" }, at("2030-01-01T11:00:00Z"))).toBe("paused");
		expect(eventStatus({ ...event, statusMode: "open" }, at("2029-01-01T00:00:00Z"))).toBe("open");
	});
	it("locks from the start time or an early opening", () => {
		expect(isLocked(event, at("2030-01-01T09:00:00Z"))).toBe(false);
		expect(isLocked(event, at("2030-01-01T10:00:00Z"))).toBe(true);
		expect(isLocked({ ...event, openedAt: "2029-12-31T00:00:00Z" }, at("2030-01-01T09:00:00Z"))).toBe(true);
	});
});
