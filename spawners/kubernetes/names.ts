// Kubernetes object names and label values for hub users and their servers (pure).
//
// Any hub user name or server name must map to a valid DNS-1123 label (pods, PVCs, secrets) or
// label value, and two different (user, server) pairs must never map to the same name: a
// collision would hand one user's home volume to another. The scheme:
//
// 1. Escape (KubeSpawner's "safe chars + -XX hex escapes"): lower-case ASCII letters and digits
//    are kept; every other character becomes "-" followed by the two lower-case hex digits of
//    each of its UTF-8 bytes ("a.b" → "a-2eb", "A" → "-41", "é" → "-c3-a9", "-" → "-2d").
//    Because "-" itself is escaped, the mapping is injective, and in escaped text every "-" is
//    followed by two hex digits: escaped text never contains "--" and never ends in "-".
// 2. Join: "<prefix>-<user>" for the default server, "<prefix>-<user>--<server>" for a named
//    one. "--" cannot occur inside an escaped part, so the first "--" always ends the user part
//    and the join is injective too. A run of three dashes only occurs as "--" followed by an
//    escape ("alice---2ea" is alice's server ".a"), so "---" is always followed by a hex digit.
// 3. Fit: if the result is longer than 63 characters it is cut and given the suffix
//    "---h<12 hex digits of sha256(untruncated name)>". "---h" cannot occur in an unshortened
//    name (step 2), so a shortened name never equals an unshortened one; two shortened names
//    are equal only if 48 bits of their hashes are.
//
// Label values use the same escape, without a prefix. A label value must start with an
// alphanumeric character, so an escaped value that starts with "-" gets the prefix "x_" ("_" is
// never produced by the escape, so this cannot collide either).
import { createHash } from "node:crypto";

/** Longest DNS-1123 label and longest label value. */
export const MAX_NAME_LENGTH = 63;

/** Marks a shortened name; impossible in an unshortened one (see the scheme above). */
const HASH_MARKER = "---h";
const HASH_LENGTH = 12;

const SAFE = /^[a-z0-9]$/;

/**
 * Escapes a string into lower-case letters, digits and "-XX" hex escapes of UTF-8 bytes.
 * Injective; the result never contains "--" and never ends in "-".
 */
export function escapeName(raw: string): string {
  let out = "";
  for (const ch of raw) {
    if (SAFE.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, "utf8")) out += "-" + byte.toString(16).padStart(2, "0");
  }
  return out;
}

/** Shortens `name` to `max` characters with a hash suffix when it is longer; else returns it. */
function fitLength(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, HASH_LENGTH);
  const keep = max - HASH_MARKER.length - HASH_LENGTH;
  // The kept part must end in an alphanumeric character so that the marker stays exactly "---h".
  const head = name.slice(0, keep).replace(/[-_]+$/, "");
  return head + HASH_MARKER + hash;
}

/** The kinds of object Gyre names per user or per server, with their name prefixes. */
export const NAME_PREFIXES = {
  pod: "jupyter",
  pvc: "claim",
  secret: "jupyter-token",
  /** a launch's ConfigMap: the agent and its spec for the pod's init container */
  launch: "gyre-launch",
  /** the ConfigMap of Gyre's Jupyter server extension (its Python files), mounted into the server container */
  extension: "gyre-extension",
} as const;

export type NamedKind = keyof typeof NAME_PREFIXES;

export interface ObjectNameOptions {
  kind: NamedKind;
  /** hub user name, any string */
  userName: string;
  /** server name; "" (or absent) for the default server and for per-user objects */
  serverName?: string;
}

/**
 * The DNS-1123 label naming one user's (server's) object of `kind`: "jupyter-alice",
 * "jupyter-alice--gpu", "claim-alice", "jupyter-token-alice". Valid and collision-free for any
 * input (see the scheme at the top of this file).
 */
export function buildObjectName(opts: ObjectNameOptions): string {
  if (opts.userName === "") throw new Error("buildObjectName: userName must not be empty");
  const server = opts.serverName ?? "";
  const body = escapeName(opts.userName) + (server === "" ? "" : "--" + escapeName(server));
  return fitLength(`${NAME_PREFIXES[opts.kind]}-${body}`, MAX_NAME_LENGTH);
}

/**
 * A valid, collision-free label value for any string ("" stays "", which Kubernetes allows):
 * used for `gyre.io/user` and `gyre.io/server-name` so that the spawner can select a user's pods.
 */
export function buildLabelValue(raw: string): string {
  if (raw === "") return "";
  const escaped = escapeName(raw);
  return fitLength(escaped.startsWith("-") ? "x_" + escaped : escaped, MAX_NAME_LENGTH);
}

/** DNS-1123 label: what pod, PVC and secret names produced here always satisfy. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes label value syntax (empty allowed). */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
