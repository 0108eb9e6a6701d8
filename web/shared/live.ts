// The live feed client (API.md "Live updates"): reconnects with back-off, keeps the socket warm with
// pings the hub answers without waking, and hands typed frames to the page. `url()` is asked anew
// for every attempt because a staff ticket works only once. The frames are the client's types, the very
// ones the hub builds them with (client/live-frames.ts). The feed asks for wire version 2 (`?v=2`): a
// burst of changes comes as one `listings` frame, handed to the page one listing at a time.
import {
	type AnnouncementFrame,
	LIVE_V2_QUERY,
	type ListingFrame,
	type LiveFrame,
	type SnapshotFrame,
	type StatsFrame,
} from "../../client/live-frames";

export interface LiveHandlers {
	snapshot(frame: SnapshotFrame): void;
	listing(frame: ListingFrame): void;
	stats?(frame: StatsFrame): void;
	/** The operator posted or took down the event's announcement (issue 13). */
	announcement?(frame: AnnouncementFrame): void;
	/** "open" after a snapshot arrived; "down" while reconnecting. */
	state(state: "open" | "down"): void;
	/**
	 * The server closed the socket, with its code and reason (the hub closes a buyer's socket with
	 * 1008 "session_revoked" when a newer login or a logout ends the session). Called before the feed
	 * reconnects; a handler that calls stop() prevents that.
	 */
	closed?(code: number, reason: string): void;
}

const PING_MS = 25_000;
const MAX_BACKOFF_MS = 10_000;

export class LiveFeed {
	private ws: WebSocket | null = null;
	private stopped = false;
	private attempt = 0;
	private ping: ReturnType<typeof setInterval> | null = null;

	constructor(
		private readonly url: () => Promise<string>,
		private readonly on: LiveHandlers,
	) {}

	start(): void {
		this.stopped = false;
		void this.connect();
	}

	stop(): void {
		this.stopped = true;
		this.ws?.close(1000, "bye");
		this.ws = null;
	}

	private async connect(): Promise<void> {
		let url: string;
		try {
			url = await this.url();
		} catch {
			this.retry();
			return;
		}
		if (this.stopped) return;
		const ws = new WebSocket(withV2(url));
		this.ws = ws;
		ws.addEventListener("message", (e) => this.onMessage(e));
		ws.addEventListener("close", (e) => {
			if (this.ping) clearInterval(this.ping);
			if (this.ws === ws) this.on.closed?.(e.code, e.reason);
			if (this.ws === ws) this.retry();
		});
		ws.addEventListener("open", () => {
			this.ping = setInterval(() => ws.send("ping"), PING_MS);
		});
	}

	private onMessage(e: MessageEvent): void {
		if (typeof e.data !== "string" || e.data === "pong") return;
		const frame = JSON.parse(e.data) as LiveFrame;
		switch (frame.type) {
			case "snapshot":
				this.attempt = 0;
				this.on.snapshot(frame);
				this.on.state("open");
				break;
			case "listing":
				this.on.listing(frame);
				break;
			case "listings":
				for (const change of frame.changes) this.on.listing({ type: "listing", ...change });
				break;
			case "stats":
				this.on.stats?.(frame);
				break;
			case "announcement":
				this.on.announcement?.(frame);
				break;
		}
	}

	private retry(): void {
		this.ws = null;
		if (this.stopped) return;
		this.on.state("down");
		const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
		this.attempt += 1;
		setTimeout(() => void this.connect(), delay);
	}
}

/** The same URL asking for wire version 2 (batched frames). */
export function withV2(url: string): string {
	return `${url}${url.includes("?") ? "&" : "?"}${LIVE_V2_QUERY.name}=${LIVE_V2_QUERY.value}`;
}

/** ws:// or wss:// for a path on this page's origin. */
export function wsUrl(path: string): string {
	return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`;
}
