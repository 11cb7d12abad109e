// Parsing of route prefixes and of public request paths. Pure.

/**
 * Normalises a route prefix the way configurable-http-proxy does (lib/trie.js trimPrefix):
 * leading "/" added, one trailing "/" removed unless the prefix is exactly "/".
 * "user/alice/" → "/user/alice"; "" → "/".
 */
export function normalizeRoutePath(path: string): string {
  let p = path.length === 0 || path[0] !== "/" ? "/" + path : path;
  if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
  return p;
}

/** JupyterHub's routespec form of a normalised prefix: "/user/alice" → "/user/alice/". */
export function toRouteSpec(path: string): string {
  return path === "/" ? "/" : path + "/";
}

/** A request path under /user/<name>/. */
export interface UserPath {
  /** the user name (URL-decoded) */
  user: string;
  /** "/user/<raw name>" as it appears in the URL */
  userPrefix: string;
  /** path segments after the user prefix, without the query ("" for a trailing slash) */
  segments: string[];
  /** the query string including "?", or "" */
  query: string;
}

/** Splits "/user/<name>/..." into its parts; null when the path is not under /user/<name>. */
export function parseUserPath(url: string): UserPath | null {
  if (!url.startsWith("/user/")) return null;
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? "" : url.slice(q);
  const parts = path.slice(6).split("/");
  const raw = parts[0];
  if (!raw) return null;
  let user: string;
  try {
    user = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return { user, userPrefix: "/user/" + raw, segments: parts.slice(1), query };
}

/**
 * True for /user/<name>/logout and /user/<name>/<server>/logout: Jupyter's Logout button goes
 * there, and Jupyter's own logout means nothing while the proxy injects the token; the hub logs out.
 */
export function isLogoutPath(p: UserPath): boolean {
  const s = p.segments;
  const n = s[s.length - 1] === "" ? s.length - 1 : s.length;
  return (n === 1 && s[0] === "logout") || (n === 2 && s[1] === "logout");
}

/** A request for a port on the user's server host: /user/<name>/[<server>/]proxy/[absolute/]<port>/... */
export interface DashboardPath {
  /** "" for the default server */
  serverName: string;
  port: number;
  /** keep the public prefix in the upstream path (jupyter-server-proxy's /proxy/absolute/) */
  absolute: boolean;
  /** the path sent upstream, with the query */
  upstreamPath: string;
  /** set when the URL stops right after the port: where to 301 to (relative links need the slash) */
  redirectTo: string | null;
}

const PORT_RE = /^\d{1,5}$/;

/** Recognises a dashboard path; null when the path is an ordinary server path. */
export function parseDashboardPath(p: UserPath): DashboardPath | null {
  const s = p.segments;
  let i: number;
  let serverName = "";
  if (s[0] === "proxy" && (PORT_RE.test(s[1] ?? "") || (s[1] === "absolute" && PORT_RE.test(s[2] ?? "")))) i = 0;
  else if (s[0] && s[1] === "proxy" && (PORT_RE.test(s[2] ?? "") || (s[2] === "absolute" && PORT_RE.test(s[3] ?? "")))) {
    i = 1;
    serverName = s[0];
  } else return null;
  const absolute = s[i + 1] === "absolute";
  const portIdx = absolute ? i + 2 : i + 1;
  const port = Number(s[portIdx]);
  if (port < 1 || port > 65535) return null;
  const head = p.userPrefix + "/" + s.slice(0, portIdx + 1).join("/");
  const restSegs = s.slice(portIdx + 1);
  if (restSegs.length === 0) return { serverName, port, absolute, upstreamPath: "", redirectTo: head + "/" + p.query };
  const rest = "/" + restSegs.join("/");
  return { serverName, port, absolute, upstreamPath: (absolute ? head + rest : rest) + p.query, redirectTo: null };
}

/**
 * Parses the allowed dashboard ports ([8787, "9000-9010"]) into a predicate. Throws on a bad
 * range so a typo stops the proxy at start.
 */
export function buildPortPredicate(spec: ReadonlyArray<number | string>): (port: number) => boolean {
  const singles = new Set<number>();
  const ranges: Array<[number, number]> = [];
  for (const item of spec) {
    if (typeof item === "number") singles.add(item);
    else {
      const [lo, hi] = item.split("-").map(Number);
      if (!(lo >= 1 && hi <= 65535 && lo <= hi)) throw new Error(`invalid dashboard port range "${item}"`);
      ranges.push([lo, hi]);
    }
  }
  return (port) => singles.has(port) || ranges.some(([lo, hi]) => port >= lo && port <= hi);
}
