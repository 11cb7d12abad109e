// Request headers for the upstream, built in one pass over the client's raw header list
// (IncomingMessage.rawHeaders). Reading `req.headers` makes Node build a header object per
// request; the hot path never touches it. Pure.

/** What to do with one header: undefined keeps the client's value, null drops it, a string replaces it. */
export type HeaderEdit = string | null | undefined;

/**
 * Carries the proxy's hop secret (derived from hub.secretKey) on requests for the hub, so the hub
 * trusts X-Forwarded-For only from the proxy (app/_lib/http/client-address.ts). Whatever a client
 * sends under this name is dropped on every request, to any upstream.
 */
export const PROXY_HOP_HEADER = "x-gyre-proxy-hop";

/** How the upstream request's headers differ from the client's. */
export interface UpstreamHeaderOptions {
  /** the client's address, appended to X-Forwarded-For */
  remoteAddress: string;
  /** the Cookie header to send (the hub's session cookie already removed) */
  cookie?: HeaderEdit;
  /** the Authorization header to send (the server token, or null to drop an API token) */
  authorization?: HeaderEdit;
  /** the hop secret, for requests to the hub only (PROXY_HOP_HEADER) */
  proxyHop?: string;
}

/** The flat [name, value, ...] list for http.request, and whether the request has a body. */
export interface UpstreamHeaders {
  headers: string[];
  hasBody: boolean;
  /**
   * Why the request's body framing is refused (400), or undefined. Only one Transfer-Encoding
   * header whose value is exactly "chunked" is forwarded, never together with Content-Length, and
   * Content-Length at most once: Node accepts e.g. "identity, chunked" (chunked last), and a user
   * server that reads such a header differently would see a different request boundary than the
   * proxy did (request smuggling).
   */
  badFraming?: string;
}

/**
 * Copies the client's headers minus hop-by-hop ones (Connection, Keep-Alive, Proxy-Connection;
 * Node's agent adds its own Connection), applies the cookie/authorization edits, appends the
 * client to X-Forwarded-For and sets X-Forwarded-Proto/Host only when absent (appending to Proto
 * confuses tornado, which takes the last value). Several Cookie headers are joined with "; " like Node does.
 */
export function buildUpstreamHeaders(raw: readonly string[], o: UpstreamHeaderOptions): UpstreamHeaders {
  const out: string[] = [];
  let host: string | undefined;
  let xff: string | undefined;
  let hasProto = false;
  let hasXHost = false;
  let hasBody = false;
  let transferEncodings = 0;
  let contentLengths = 0;
  let badFraming: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    // Only names whose length can match one we act on are lower-cased (no allocation otherwise).
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === "host") host = value;
        break;
      case 6:
        if (o.cookie !== undefined && name.toLowerCase() === "cookie") continue;
        break;
      case 10:
        if (name.toLowerCase() === "connection" || name.toLowerCase() === "keep-alive") continue;
        break;
      case 13:
        if (o.authorization !== undefined && name.toLowerCase() === "authorization") continue;
        break;
      case 14:
        if (name.toLowerCase() === "content-length") {
          hasBody = true;
          contentLengths++;
        }
        break;
      case 15:
        if (name.toLowerCase() === "x-forwarded-for") {
          xff = xff === undefined ? value : xff + ", " + value;
          continue;
        }
        break;
      case 16:
        if (name.toLowerCase() === "proxy-connection" || name.toLowerCase() === PROXY_HOP_HEADER) continue;
        if (name.toLowerCase() === "x-forwarded-host") hasXHost = true;
        break;
      case 17:
        if (name.toLowerCase() === "x-forwarded-proto") hasProto = true;
        else if (name.toLowerCase() === "transfer-encoding") {
          hasBody = true;
          transferEncodings++;
          if (value.trim().toLowerCase() !== "chunked") badFraming = `Transfer-Encoding "${value.slice(0, 40)}" refused: only "chunked" is forwarded.`;
        }
        break;
    }
    out.push(name, value);
  }
  if (typeof o.cookie === "string") out.push("cookie", o.cookie);
  if (typeof o.authorization === "string") out.push("authorization", o.authorization);
  if (o.proxyHop !== undefined) out.push(PROXY_HOP_HEADER, o.proxyHop);
  if (transferEncodings > 1) badFraming = "Several Transfer-Encoding headers refused.";
  else if (transferEncodings && contentLengths) badFraming = "Transfer-Encoding together with Content-Length refused.";
  else if (contentLengths > 1) badFraming = "Several Content-Length headers refused.";
  out.push("x-forwarded-for", xff === undefined ? o.remoteAddress : xff + ", " + o.remoteAddress);
  if (!hasProto) out.push("x-forwarded-proto", "http");
  if (!hasXHost && host !== undefined) out.push("x-forwarded-host", host);
  return { headers: out, hasBody, badFraming };
}

/**
 * One request header from the raw list, by lower-case name: the first value, or for "cookie"
 * all values joined with "; " (what req.headers would hold). undefined when absent.
 */
export function readRawHeader(raw: readonly string[], lowerName: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length !== lowerName.length || name.toLowerCase() !== lowerName) continue;
    if (found === undefined) found = raw[i + 1];
    else if (lowerName === "cookie") found += "; " + raw[i + 1];
    else return found;
  }
  return found;
}
