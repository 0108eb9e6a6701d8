// What both live objects do with their sockets (the event's DashboardHub, which holds staff sockets,
// and its HubShards, which hold buyers'): the per-socket attachment, the two wire versions of a batch
// of listing changes, and the guard on what a client may send. One place, so that a socket reads the
// same whichever object holds it.
import type { ErrorFrame, ListingFrame, ListingState, ListingsFrame } from "../client/live-frames";

export type Role = "staff" | "buyer";

/** What each socket carries through hibernation (serializeAttachment). */
export interface Attachment {
	role: Role;
	/** The buyer's id; absent for staff. */
	buyerId?: string;
	/** The buyer's session: its sockets close when a newer login or a logout revokes it. */
	sessionId?: string;
	/** The wire version the client asked for (`?v=2`): 2 gets batched `listings` frames. */
	v?: 1 | 2;
	connectedAt: number;
}

/** Headers the worker sets on the upgrade it forwards; the live objects are not reachable from outside. */
export const HUB_HEADERS = {
	role: "x-kaipan-role",
	eventId: "x-kaipan-event",
	buyerId: "x-kaipan-buyer",
	sessionId: "x-kaipan-session",
	ticketId: "x-kaipan-ticket",
	ticketExpiresAt: "x-kaipan-ticket-expires",
	/** "2" when the client asked for batched frames (`?v=2`); absent: API.md's one frame per change. */
	version: "x-kaipan-live-version",
	/** Which shard of the event this upgrade was sent to (HubShard). */
	shard: "x-kaipan-shard",
} as const;

/**
 * What a client may send (issue 10). The feed is server → client; a page sends only "ping", which the
 * runtime answers without waking the object. Anything bigger is refused with 1009 (message too big),
 * anything more often with 1008 (policy violation), so no client can keep a live object busy.
 */
export const MAX_CLIENT_MESSAGE_BYTES = 1_024;
export const CLIENT_MESSAGES_PER_WINDOW = 10;
export const CLIENT_MESSAGE_WINDOW_MS = 10_000;
/** Close codes the live objects use (RFC 6455 §7.4.1). */
export const CLOSE = { tooBig: 1009, policy: 1008 } as const;

/** The tag that finds one buyer's sockets without scanning the others. */
export const buyerTag = (buyerId: string) => `buyer:${buyerId}`;
/** The tag of sockets that asked for batched frames. */
export const V2_TAG = "v2";

/** The tags a socket is accepted with: its role, its buyer, its wire version. */
export function socketTags(a: Attachment): string[] {
	const tags: string[] = [a.role];
	if (a.buyerId) tags.push(buyerTag(a.buyerId));
	if (a.v === 2) tags.push(V2_TAG);
	return tags;
}

/** The wire version an upgrade asked for. */
export function versionOf(request: Request): 1 | 2 {
	return request.headers.get(HUB_HEADERS.version) === "2" ? 2 : 1;
}

/**
 * Sends one batch of listing changes to `sockets`: a v2 socket gets one `listings` frame carrying all of
 * them; a v1 socket (API.md as written) one `listing` frame per change. Each frame is serialised once.
 * Returns the frames and bytes handed to the runtime (for the measurements in docs/LIVE.md).
 */
export function sendChanges(sockets: WebSocket[], changes: ListingState[]): { frames: number; bytes: number } {
	if (changes.length === 0 || sockets.length === 0) return { frames: 0, bytes: 0 };
	let batched: string | null = null;
	let single: string[] | null = null;
	let frames = 0;
	let bytes = 0;
	for (const ws of sockets) {
		const v = (ws.deserializeAttachment() as Attachment | null)?.v;
		if (v === 2) {
			batched ??= JSON.stringify({ type: "listings", changes } satisfies ListingsFrame);
			if (trySend(ws, batched)) {
				frames += 1;
				bytes += batched.length;
			}
			continue;
		}
		single ??= changes.map((l) => JSON.stringify({ type: "listing", ...l } satisfies ListingFrame));
		for (const frame of single) {
			if (!trySend(ws, frame)) break;
			frames += 1;
			bytes += frame.length;
		}
	}
	return { frames, bytes };
}

/** Sends an already serialised frame to every socket; how many took it. */
export function sendAll(sockets: WebSocket[], frame: string): number {
	let sent = 0;
	for (const ws of sockets) if (trySend(ws, frame)) sent += 1;
	return sent;
}

/** Closes `sockets` with a code and reason; how many were still open to close. */
export function closeAll(sockets: WebSocket[], code: number, reason: string): number {
	let closed = 0;
	for (const ws of sockets) {
		try {
			ws.close(code, reason);
			closed += 1;
		} catch {
			// Already closing.
		}
	}
	return closed;
}

/** Closes a buyer's sockets of every session but `keep` with 1008 session_revoked; how many. */
export function closeSessions(sockets: WebSocket[], keep: string | null): number {
	const revoked = sockets.filter((ws) => {
		const attachment = ws.deserializeAttachment() as Attachment | null;
		return keep === null || attachment?.sessionId !== keep;
	});
	return closeAll(revoked, CLOSE.policy, "session_revoked");
}

/**
 * The guard on client messages, per socket. Memory is enough for the window: an object wakes only
 * for traffic, and a socket that was quiet long enough to let it hibernate starts a new window anyway.
 */
export class ClientMessageGuard {
	private readonly windows = new WeakMap<WebSocket, { windowStart: number; count: number }>();

	/** Handles one client message: closes the socket if it is too big or too frequent, answers non-pings. */
	onMessage(ws: WebSocket, message: string | ArrayBuffer, now = Date.now()): void {
		const size = typeof message === "string" ? new TextEncoder().encode(message).byteLength : message.byteLength;
		if (size > MAX_CLIENT_MESSAGE_BYTES) {
			closeSocket(ws, CLOSE.tooBig, "message too big");
			return;
		}
		if (!this.allow(ws, now)) {
			closeSocket(ws, CLOSE.policy, "too many messages");
			return;
		}
		// The stream is server → client; "ping" is answered by the runtime's auto-response. Anything else
		// is a client bug, told (within the rate above) rather than silently dropped.
		if (message !== "ping")
			ws.send(JSON.stringify({ type: "error", message: "This socket only sends." } satisfies ErrorFrame));
	}

	private allow(ws: WebSocket, now: number): boolean {
		let window = this.windows.get(ws);
		if (!window || window.windowStart <= now - CLIENT_MESSAGE_WINDOW_MS) {
			window = { windowStart: now, count: 0 };
			this.windows.set(ws, window);
		}
		window.count += 1;
		return window.count <= CLIENT_MESSAGES_PER_WINDOW;
	}
}

/** False when the socket is gone; the runtime drops it from getWebSockets() once it has closed. */
export function trySend(ws: WebSocket, frame: string): boolean {
	try {
		ws.send(frame);
		return true;
	} catch {
		return false;
	}
}

export function closeSocket(ws: WebSocket, code: number, reason: string): void {
	try {
		ws.close(code, reason);
	} catch {
		// Already closing.
	}
}

/** The close handshake's answer (the runtime may already have replied). */
export function answerClose(ws: WebSocket, code: number, reason: string): void {
	closeSocket(ws, code, reason);
}

export function liveError(status: number, code: string, message: string): Response {
	return Response.json({ error: { code, message } }, { status });
}
