// The DNS label of a hub user's own origin: with per-user origins, a user's servers are served on
// <label>.<hub.userDomain>. Pure.
//
// A name that is already a plain DNS label (lower-case letters, digits and inner hyphens, at most
// 63 characters, no "--") is its own label, so the common case reads naturally
// (alice.hub.example.org). Anything else — "_", dots, upper case, non-ASCII, more than 63
// characters, or "--" anywhere (labels with "--" in their third and fourth places are reserved
// for IDNA, RFC 5891 §4.2.3.1) — becomes a readable prefix, "--", and a hash of the exact name:
// "alice_smith" → "alice-smith--2c26b46b68ffc68ff99b". Plain labels never contain "--" and escaped
// ones always do, so no escaped label can equal a plain one, and two escaped labels are equal only
// if their names' SHA-256 hashes share their first 80 bits.
import { createHash } from "node:crypto";

const PLAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Hex characters of the name's SHA-256 in an escaped label (80 bits). */
const HASH_CHARS = 20;
/** Longest readable prefix of an escaped label: prefix + "--" + hash stays within 63 characters. */
const PREFIX_MAX = 40;

/** The DNS label of `name`'s origin (deterministic; distinct names get distinct labels). */
export function userLabel(name: string): string {
  if (PLAIN_LABEL.test(name) && !name.includes("--")) return name;
  const hash = createHash("sha256").update(name, "utf8").digest("hex").slice(0, HASH_CHARS);
  let prefix = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, PREFIX_MAX)
    .replace(/^-+|-+$/g, "");
  // A two-character prefix would put "--" third and fourth ("ab--…"), which is reserved for IDNA.
  if (prefix.length < 3) prefix = prefix ? "u-" + prefix : "u";
  return `${prefix}--${hash}`;
}

/** Whether `s` has the shape of a label userLabel() can produce (what a user origin's host may start with). */
export function isUserLabel(s: string): boolean {
  return PLAIN_LABEL.test(s);
}
