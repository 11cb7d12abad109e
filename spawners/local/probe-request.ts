// Pure: the bytes of the readiness probe's request (processes.ts probeHttp) and the status of its
// answer. The probe is one GET on a fresh connection, closed as soon as the status line came: it
// is written by hand rather than through node:http, whose client request, agent, parser and
// response objects were most of a probe's cost to the hub in a storm of starts (bench/README.md
// phase 3m). Header names and values are checked as node:http checks them, so no caller's value
// can add a header or a request.

/** Where a probe goes: a unix socket (`http+unix://<%-encoded path><path>`) or a TCP host and port. */
export type ProbeTarget = { socketPath: string; path: string; host: string } | { hostname: string; port: number; path: string; host: string };

const UNIX_URL = /^http\+unix:\/\/([^/]+)(\/.*)?$/;
/** RFC 9110 token characters (a header name) */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** what node:http refuses in a header value (CR, LF, NUL and other controls but tab) */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** what node:http refuses in a request path (ERR_UNESCAPED_CHARACTERS) */
const BAD_PATH = /[^\u0021-\u00ff]/;

/** The target of `url`; throws TypeError for what node:http would refuse (not http, bad path). */
export function parseProbeUrl(url: string): ProbeTarget {
  const unix = UNIX_URL.exec(url);
  if (unix) {
    const path = unix[2] ?? "/";
    if (BAD_PATH.test(path)) throw new TypeError("Request path contains unescaped characters");
    return { socketPath: decodeURIComponent(unix[1]), path, host: "localhost" };
  }
  const u = new URL(url);
  if (u.protocol !== "http:") throw new TypeError(`Protocol "${u.protocol}" not supported. Expected "http:"`);
  const port = u.port ? Number(u.port) : 80;
  return { hostname: u.hostname.replace(/^\[(.*)\]$/, "$1"), port, path: `${u.pathname}${u.search}`, host: u.port ? `${u.hostname}:${u.port}` : u.hostname };
}

/** The request's bytes: GET with the caller's headers (a `host` among them replaces the default), no body, the connection closed after the answer. */
export function buildProbeRequest(target: ProbeTarget, headers: Record<string, string>): string {
  const lines = [`GET ${target.path} HTTP/1.1`];
  let host = target.host;
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) throw new TypeError(`Header name must be a valid HTTP token ["${name}"]`);
    if (BAD_VALUE.test(value)) throw new TypeError(`Invalid character in header content ["${name}"]`);
    const lower = name.toLowerCase();
    if (lower === "host") host = value;
    else if (lower !== "connection" && lower !== "content-length" && lower !== "transfer-encoding") lines.push(`${name}: ${value}`);
  }
  lines.splice(1, 0, `Host: ${host}`);
  lines.push("Connection: close", "", "");
  return lines.join("\r\n");
}

/**
 * The status code in the start of an answer: a number once its status line is complete, null
 * when that line is not HTTP/1.x's, undefined while it is still incomplete.
 */
export function parseProbeStatus(head: string): number | null | undefined {
  const end = head.indexOf("\r\n");
  if (end === -1) return head.length > 1024 ? null : undefined;
  const m = /^HTTP\/1\.[01] ([1-9]\d\d)(?: |$)/.exec(head.slice(0, end));
  return m ? Number(m[1]) : null;
}
