// The proxy's own answers: redirects, and refusals as the styled error page for browsers
// (Accept: text/html) or JSON for everything else. A refused WebSocket upgrade gets its answer
// written on the raw socket, which is then closed. Counted in the metrics as route class "none".
import http from "node:http";
import type { Duplex } from "node:stream";
import type { ProxyMetrics } from "@/proxy/metrics";
import { renderErrorPage } from "./error-page";
import type { PageLink } from "./server-down";

/** A response target: an HTTP response, or the raw socket of a refused WebSocket upgrade. */
export type Sink = http.ServerResponse | Duplex;

export class Answers {
  constructor(private readonly metrics: ProxyMetrics) {}

  /** A bodyless redirect; `extra`: more headers (Set-Cookie of the user-origin handshake). */
  redirect(sink: Sink, status: number, location: string, extra?: ExtraHeaders): void {
    this.metrics.countRequest("none", status);
    writeRaw(sink, status, { ...extra, location, "content-length": "0" }, "");
  }

  /** An error answer: the styled page for browsers, JSON otherwise. */
  refuse(req: http.IncomingMessage, sink: Sink, status: number, message: string, extra?: ExtraHeaders): void {
    this.page(req, sink, status, { message }, extra);
  }

  /** An error answer with links to follow (the page's buttons; `links` in the JSON). */
  page(req: http.IncomingMessage, sink: Sink, status: number, page: { message: string; links?: PageLink[] }, extra?: ExtraHeaders): void {
    this.metrics.countRequest("none", status);
    if (sink instanceof http.ServerResponse && (req.headers.accept ?? "").includes("text/html")) {
      writeRaw(sink, status, { ...extra, "content-type": "text/html; charset=utf-8" }, renderErrorPage(status, page.message, page.links));
    } else {
      const body = page.links ? { status, message: page.message, links: page.links } : { status, message: page.message };
      writeRaw(sink, status, { ...extra, "content-type": "application/json" }, JSON.stringify(body));
    }
  }
}

/** Extra response headers; Set-Cookie may repeat. */
export type ExtraHeaders = Record<string, string | string[]>;

/** Writes a complete response to an HTTP response or to a raw upgrade socket. */
function writeRaw(sink: Sink, status: number, headers: ExtraHeaders, body: string): void {
  if (sink instanceof http.ServerResponse) {
    if (sink.headersSent) {
      sink.destroy();
      return;
    }
    sink.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
    sink.end(body);
    return;
  }
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ""}`, "connection: close", `content-length: ${Buffer.byteLength(body)}`];
  for (const [k, v] of Object.entries(headers)) if (k !== "content-length") for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  sink.end(lines.join("\r\n") + "\r\n\r\n" + body);
  (sink as Duplex & { destroySoon?: () => void }).destroySoon?.();
}
