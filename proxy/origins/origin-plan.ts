// Which origin serves what: the hub on hub.publicUrl's origin and, with per-user origins, each
// user's servers on <label>.<hub.userDomain> with the hub's scheme and port — or, in single-origin
// mode, everything on the hub's origin. Hub and proxy derive the same plan from the same two
// options; a bad combination is a ConfigError naming the option. Per-user origins are the default
// wherever they need no DNS: a hub on localhost or a *.localhost name (browsers resolve every
// *.localhost name to the loopback address themselves, RFC 6761 §6.3). Pure (no I/O, no clock, no env).
import { isIP } from "node:net";
import { ConfigError } from "@/config/errors";
import { isUserLabel, userLabel } from "./user-label";

/** "per-user": users' servers on their own origins; "single": everything on the hub's origin. */
export type OriginMode = "per-user" | "single";

/**
 * Why a plan is single-origin: switched off (hub.userDomain ""), impossible (the hub's host is an IP
 * address), or not configured for a real host name (which needs wildcard DNS Gyre cannot check).
 */
export type SingleOriginReason = "disabled" | "ip-address" | "unset";

export interface OriginPlan {
  mode: OriginMode;
  /** the hub's origin, "http://localhost:8000" */
  hubOrigin: string;
  /** the hub's host name, lower case, without port */
  hubHostname: string;
  /** the hub's scheme, which user origins share */
  scheme: "http:" | "https:";
  /** ":8000", or "" for the scheme's default port; user origins share it */
  port: string;
  /** per-user mode: the domain user labels go under ("localhost", "hub.example.org"); null in single-origin mode */
  userDomain: string | null;
  /** single-origin mode: why; null in per-user mode */
  singleReason: SingleOriginReason | null;
}

export interface OriginOptions {
  /** hub.publicUrl with its default applied */
  publicUrl: string;
  /** hub.userDomain as configured: undefined (unset: automatic), "" (single-origin on purpose) or a domain */
  userDomain: string | undefined;
}

/** How a request's Host header relates to the plan. */
export type HostClass =
  /** the hub's origin, or any host that is not a user origin (an address, another name of the hub) */
  | { kind: "hub" }
  /** a user origin: `label` is its first label */
  | { kind: "user"; label: string }
  /** under userDomain but not a user origin (two labels deep, or not a label userLabel() makes) */
  | { kind: "unknown" };

const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The origin plan, or a ConfigError naming the option. userDomain unset: per-user origins under the
 * hub's own host when that is `localhost` or ends in `.localhost` (no DNS needed), single-origin
 * mode otherwise (a warning at start names the option); "": single-origin mode on purpose; a domain:
 * per-user origins under it.
 */
export function resolveOriginPlan(o: OriginOptions): OriginPlan {
  let url: URL;
  try {
    url = new URL(o.publicUrl);
  } catch {
    throw new ConfigError(`Invalid configuration: hub.publicUrl "${o.publicUrl}" is not a URL.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`Invalid configuration: hub.publicUrl must be an http:// or https:// URL (got ${url.protocol}).`);
  }
  const scheme = url.protocol;
  const hubHostname = url.hostname.toLowerCase().replace(/\.$/, "");
  const base = { hubOrigin: url.origin, hubHostname, scheme, port: url.port ? ":" + url.port : "" } as const;
  const hubIsAddress = isIP(hubHostname.replace(/^\[|\]$/g, "")) !== 0;

  if (o.userDomain === "") return { ...base, mode: "single", userDomain: null, singleReason: "disabled" };
  if (o.userDomain === undefined) {
    if (isLocalhostName(hubHostname)) return { ...base, mode: "per-user", userDomain: hubHostname, singleReason: null };
    return { ...base, mode: "single", userDomain: null, singleReason: hubIsAddress ? "ip-address" : "unset" };
  }
  const domain = o.userDomain.toLowerCase().replace(/\.$/, "");
  if (isIP(domain.replace(/^\[|\]$/g, "")) !== 0) {
    throw new ConfigError(
      `Invalid configuration: hub.userDomain must be a domain name (each user's servers are served on <name>.<domain>), not an IP address (got "${o.userDomain}").`,
    );
  }
  const labels = domain.split(".");
  if (domain.length > 253 - 64 || !labels.every((l) => DOMAIN_LABEL.test(l))) {
    throw new ConfigError(
      `Invalid configuration: hub.userDomain "${o.userDomain}" is not a domain name: give only the domain (e.g. hub.example.org), without scheme, port or path; labels of letters, digits and inner hyphens.`,
    );
  }
  if (hubHostname.endsWith("." + domain)) {
    throw new ConfigError(
      `Invalid configuration: the hub's host ${hubHostname} (hub.publicUrl) lies under hub.userDomain ${domain}, so a user could get the hub's own origin. Use the hub's host itself as hub.userDomain (users at <name>.${hubHostname}) or a domain beside it.`,
    );
  }
  return { ...base, mode: "per-user", userDomain: domain, singleReason: null };
}

/** The host name of `user`'s origin (per-user mode), "alice.localhost". */
export function userHostname(plan: OriginPlan, user: string): string {
  if (!plan.userDomain) throw new Error("single-origin mode has no user host names");
  return `${userLabel(user)}.${plan.userDomain}`;
}

/** The origin serving `user`'s servers: their own in per-user mode, the hub's otherwise. */
export function userOrigin(plan: OriginPlan, user: string): string {
  return plan.userDomain ? `${plan.scheme}//${userHostname(plan, user)}${plan.port}` : plan.hubOrigin;
}

/**
 * A link to `path` ("/user/alice/tree") of `user`'s servers: absolute on the user's origin in
 * per-user mode; the path itself in single-origin mode, where it is on the page's own origin.
 */
export function userUrl(plan: OriginPlan, user: string, path: string): string {
  return plan.mode === "per-user" ? userOrigin(plan, user) + path : path;
}

/** A link to `path` ("/hub/home") on the hub: absolute in per-user mode (the page may be on a user origin). */
export function hubUrl(plan: OriginPlan, path: string): string {
  return plan.mode === "per-user" ? plan.hubOrigin + path : path;
}

/** What a request's Host header names (undefined: HTTP/1.0 without Host, the hub's). */
export function classifyHost(plan: OriginPlan, host: string | undefined): HostClass {
  if (!plan.userDomain || !host) return { kind: "hub" };
  const name = hostnameOf(host);
  const suffix = "." + plan.userDomain;
  if (!name.endsWith(suffix)) return { kind: "hub" };
  const label = name.slice(0, -suffix.length);
  return isUserLabel(label) ? { kind: "user", label } : { kind: "unknown" };
}

/** The host name of a Host header: lower case, without port or trailing dot; IPv6 literals keep their brackets. */
export function hostnameOf(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return (colon === -1 ? h : h.slice(0, colon)).replace(/\.$/, "");
}

/** `localhost` and names under it, which browsers resolve to loopback without DNS (RFC 6761 §6.3). */
export function isLocalhostName(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost");
}

/** Loopback addresses a browser may have typed instead of `localhost` (127.0.0.0/8, ::1), brackets allowed. */
export function isLoopbackAddress(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "");
  return (isIP(h) === 4 && h.startsWith("127.")) || h === "::1";
}

/**
 * The default hub.publicUrl. A proxy on a loopback address is reached from this machine only:
 * http://localhost:<port>, so users get per-user origins on <name>.localhost with no configuration.
 * A proxy on every interface is reached from elsewhere, by a name only the admin knows:
 * http://127.0.0.1:<port> (single-origin, with the warning) until hub.publicUrl says. Else the proxy's address.
 */
export function defaultPublicUrl(proxy: { bindHost: string; port: number }): string {
  const b = proxy.bindHost.toLowerCase();
  const h = b === "localhost" || isLoopbackAddress(b) ? "localhost" : b === "0.0.0.0" || b === "::" ? "127.0.0.1" : proxy.bindHost;
  return `http://${h.includes(":") ? `[${h}]` : h}:${proxy.port}`;
}

/**
 * What hub and proxy log at start in single-origin mode: what that mode cannot protect, and how to
 * turn per-user origins on. null in per-user mode.
 */
export function singleOriginWarning(plan: OriginPlan): string | null {
  if (plan.mode === "per-user") return null;
  const why =
    plan.singleReason === "disabled"
      ? "hub.userDomain is set to an empty string"
      : plan.singleReason === "ip-address"
        ? `hub.publicUrl is an IP address (${plan.hubHostname}), from which no user origins can be made, and hub.userDomain is unset`
        : `hub.publicUrl names ${plan.hubHostname}, which is not localhost, and hub.userDomain is unset`;
  return (
    `Single-origin mode (${why}): every user's servers and dashboards are served on the hub's own origin, ${plan.hubOrigin}. ` +
    "There a page in one user's server (an HTML file, a notebook's output, a dashboard) runs as whoever opens it: it can read their files, " +
    "run code in their server and, when an admin opens it, act on the hub as that admin. Admins should not open users' content in this mode. " +
    "To isolate users, point a wildcard DNS name (and TLS certificate) *.<domain> at the proxy and set hub.userDomain: <domain> " +
    "(on one machine: leave hub.publicUrl unset or make it http://localhost:<port>, no DNS needed); see docs/security.md."
  );
}
