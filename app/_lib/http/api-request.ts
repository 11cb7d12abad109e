// What the REST API's authentication and hot reads take of a request. A web Request is one (the
// Next route files pass theirs); the Express fast path (rest-fast-path.ts) passes a light one
// read from Node's request, without building undici's Headers and Request (their construction and
// URL parsing were ~7% of the users list's hub CPU, bench/README.md phase 3i).
import type { IncomingMessage } from "node:http";

/** The headers as a web Headers object answers `get`: any case of the name, repeated lines joined, null when absent. */
export interface HeaderReader {
  get(name: string): string | null;
}

/** A request's method, absolute URL (as the route handler sees it: without the /hub basePath) and headers. */
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderReader;
}

/**
 * A header of Node's raw list as Headers.get gives it: every line with the (lower-case) name, in
 * order, joined with ", " (cookie lines with "; ", as undici's Headers join them); null when there is none.
 */
export function rawHeader(raw: readonly string[], name: string): string | null {
  const glue = name === "cookie" ? "; " : ", ";
  let value: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i];
    if (key.length === name.length && key.toLowerCase() === name) value = value === null ? raw[i + 1] : value + glue + raw[i + 1];
  }
  return value;
}

/** Node's request as an ApiRequest, the URL without the basePath (/hub) as Next hands it to route handlers. */
export function nodeApiRequest(req: Pick<IncomingMessage, "method" | "url" | "rawHeaders">): ApiRequest {
  const raw = req.rawHeaders;
  return {
    method: req.method ?? "GET",
    url: `http://localhost${(req.url ?? "/").slice("/hub".length)}`,
    headers: { get: (name) => rawHeader(raw, name.toLowerCase()) },
  };
}
