// Staff bearer tokens (API.md v1.1 "Staff accounts"): 256 random bits, shown once when the account is
// created, stored only as their SHA-256 (db/staff.ts).
//
// Why a plain SHA-256, when access codes get an HMAC under a secret pepper (access-codes.ts): hashing
// slowly, salting or peppering protects a *guessable* secret whose hash leaked. An access code has 43
// bits, so a leaked table could be searched; a staff token has 256, so nobody can search for a token
// whose SHA-256 is a given value, salt or no salt. A slow KDF would only cost CPU on every admin
// request, a per-row salt would make the lookup by hash impossible (one indexed read per request is
// the point), and a pepper would tie every staff token to a worker secret for no gain. Looking the hash
// up by index leaks nothing useful by timing either: it compares hashes of the caller's own guess.
import { sha256Hex } from "../../lib/crypto";
import { base64urlEncode, utf8 } from "../../lib/encoding";

/**
 * The prefix names the credential: a token pasted into a chat or a commit is recognisable (and
 * scannable) as a Kaipan staff token, and the middleware skips D1 for anything not shaped like one.
 */
const PREFIX = "kps_";
const RANDOM_BYTES = 32;
const SHAPE = /^kps_[A-Za-z0-9_-]{43}$/;

export function newStaffToken(): string {
	return PREFIX + base64urlEncode(crypto.getRandomValues(new Uint8Array(RANDOM_BYTES)));
}

/** Whether a bearer token could be a staff token at all: anything else is refused without a D1 read. */
export function looksLikeStaffToken(token: string): boolean {
	return SHAPE.test(token);
}

/** What D1 keeps of a token: lowercase hex SHA-256 of its UTF-8 bytes. */
export function hashStaffToken(token: string): Promise<string> {
	return sha256Hex(utf8(token));
}
