// The WebSocket path: the proxy writes the upgrade request head itself on a fresh upstream
// socket, reads the upstream's answer with the same strict parser as the lean HTTP client
// (proxy/forward/response-framing.ts), and after a 101 copies bytes both ways with one 'data'
// handler per direction — which is also where activity is recorded, in both directions. No
// ClientRequest, no IncomingMessage, no stream.pipe() per connection. Why not http-proxy-3's
// ws(): it costs an http.request + response parser per handshake and gives no hook on the 101
// head (Jupyter's `username-*` cookie rode along). docs/decisions.md "WebSocket path".
import net from "node:net";
import type { Duplex } from "node:stream";
import { parseResponseHead, hasNoBody, ChunkedDecoder, type ResponseHead } from "./response-framing";

/** Where and what to send upstream. */
export interface WebSocketUpstream {
  /** a plain-HTTP upstream (HTTPS ones go through http-proxy-3) */
  host: string;
  port: number;
  /** a unix socket instead of host:port (local servers) */
  socketPath?: string | null;
  /** the complete request head: request line, headers, blank line */
  head: string;
}

/** Timeouts and the 101 header filter. */
export interface WebSocketRelayOptions {
  connectTimeoutMs: number;
  /** how long the upstream may take to answer the upgrade request */
  handshakeTimeoutMs: number;
  /** drop Jupyter's `username-*` login cookie from the 101 (user servers: with the token injected it is only a second credential) */
  stripLoginCookies: boolean;
}

/** What the caller learns about one WebSocket. */
export interface WebSocketRelayEvents {
  /** The upstream answered: 101 (now relaying) or a refusal passed on to the client. */
  onHandshake: (status: number) => void;
  /** Nothing was sent to the client yet and the upstream failed or timed out: answer it. */
  onError: (err: NodeJS.ErrnoException) => void;
  /** Bytes went one way or the other (activity); called once per chunk, keep it cheap. */
  onTraffic: () => void;
  /** A relayed WebSocket (one that got onHandshake(101)) is closed on both sides. */
  onClose: () => void;
}

const EMPTY = Buffer.alloc(0);

/** How long a closing side may take to flush what is queued for it before it is cut. */
const FLUSH_MS = 10_000;

function codeError(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * Opens the upstream connection for `client` (the raw socket of an upgrade request, with `early`
 * the bytes the client sent after its head) and relays. Every outcome ends in exactly one of
 * onHandshake or onError; a 101 is followed by exactly one onClose.
 */
export function relayWebSocket(client: Duplex, early: Buffer, up: WebSocketUpstream, opts: WebSocketRelayOptions, ev: WebSocketRelayEvents): void {
  const upstream = up.socketPath ? net.connect({ path: up.socketPath }) : net.connect({ host: up.host, port: up.port });
  if (!up.socketPath) upstream.setNoDelay(true);
  let settled = false;
  let received: Buffer | null = null;
  const timedOut = () => fail(codeError("upstream timed out", "ETIMEDOUT"));
  let timer = setTimeout(timedOut, opts.connectTimeoutMs);

  const fail = (err: NodeJS.ErrnoException) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    upstream.destroy();
    if (client.destroyed) return;
    ev.onError(err);
  };
  const clientGone = () => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    upstream.destroy();
  };
  // http.Server sockets allow half-open: a client that hangs up shows as 'end', not 'close'.
  client.once("close", clientGone);
  client.once("end", clientGone);
  upstream.on("error", fail);
  upstream.once("close", () => fail(codeError("upstream closed before answering", "ECONNRESET")));
  upstream.once("connect", () => {
    if (settled) return;
    clearTimeout(timer);
    timer = setTimeout(timedOut, opts.handshakeTimeoutMs);
    upstream.write(up.head);
    if (early.length) upstream.write(early);
  });
  const onHeadData = (chunk: Buffer) => {
    if (settled) return;
    received = received ? Buffer.concat([received, chunk]) : chunk;
    let head: ResponseHead | null;
    try {
      head = parseResponseHead(received);
    } catch (err) {
      fail(codeError((err as Error).message, "EPROTO"));
      return;
    }
    if (!head) return;
    // A 1xx other than 101 (100 Continue, 103 Early Hints) is skipped; the real answer follows.
    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      received = received.length > head.headLength ? received.subarray(head.headLength) : null;
      if (received) onHeadData(EMPTY);
      return;
    }
    settled = true;
    clearTimeout(timer);
    upstream.off("data", onHeadData);
    upstream.removeAllListeners("close");
    client.off("close", clientGone);
    client.off("end", clientGone);
    const rest = received.subarray(head.headLength);
    received = null;
    if (head.status === 101) relayOpen(client, upstream, head, rest, opts, ev);
    else refuse(client, upstream, head, rest, opts, ev);
  };
  upstream.on("data", onHeadData);
}

/** Sends the 101 on and copies bytes both ways until either side closes. */
function relayOpen(client: Duplex, upstream: net.Socket, head: ResponseHead, rest: Buffer, opts: WebSocketRelayOptions, ev: WebSocketRelayEvents): void {
  let text = `HTTP/1.1 101 ${head.statusMessage || "Switching Protocols"}\r\n`;
  const h = head.rawHeaders;
  for (let i = 0; i < h.length; i += 2) {
    if (opts.stripLoginCookies && h[i].length === 10 && h[i].toLowerCase() === "set-cookie" && h[i + 1].startsWith("username-")) continue;
    text += h[i] + ": " + h[i + 1] + "\r\n";
  }
  client.write(text + "\r\n");
  if (rest.length) client.write(rest);
  ev.onHandshake(101);
  const sock = client as net.Socket;
  // The public server's idle timeout is for HTTP; an open WebSocket may sit quiet for hours.
  sock.setTimeout?.(0);
  sock.setNoDelay?.(true);
  sock.setKeepAlive?.(true, 60_000);
  upstream.setKeepAlive(true, 60_000);
  const traffic = ev.onTraffic;
  client.on("data", (d: Buffer) => {
    traffic();
    if (!upstream.write(d)) client.pause();
  });
  upstream.on("data", (d: Buffer) => {
    traffic();
    if (!client.write(d)) upstream.pause();
  });
  upstream.on("drain", () => client.resume());
  client.on("drain", () => upstream.resume());
  // A half-close is passed on (after the WebSocket close handshake both sides end anyway).
  client.on("end", () => upstream.end());
  upstream.on("end", () => client.end());
  let open = 2;
  const closed = (other: net.Socket) => {
    closeAfterFlush(other);
    if (--open === 0) ev.onClose();
  };
  client.once("close", () => closed(upstream));
  upstream.once("close", () => closed(client as net.Socket));
  client.on("error", () => client.destroy());
  upstream.on("error", () => upstream.destroy());
}

/** Ends a socket whose peer side is gone: at once if nothing is queued, else after a bounded flush. */
function closeAfterFlush(s: net.Socket): void {
  if (s.destroyed) return;
  if (!s.writableLength) {
    s.destroy();
    return;
  }
  s.end();
  setTimeout(() => s.destroy(), FLUSH_MS).unref();
}

/**
 * The upstream refused the upgrade (403, 404, 400…): its answer goes to the client as it came,
 * with Connection: close, and both connections end after the body (framing read from the head).
 */
function refuse(client: Duplex, upstream: net.Socket, head: ResponseHead, rest: Buffer, opts: WebSocketRelayOptions, ev: WebSocketRelayEvents): void {
  let text = `HTTP/1.1 ${head.status} ${head.statusMessage}\r\n`;
  const h = head.rawHeaders;
  for (let i = 0; i < h.length; i += 2) {
    const lower = h[i].toLowerCase();
    if (lower === "connection" || lower === "keep-alive" || lower === "upgrade") continue;
    text += h[i] + ": " + h[i + 1] + "\r\n";
  }
  client.write(text + "connection: close\r\n\r\n");
  ev.onHandshake(head.status);
  upstream.removeAllListeners("error");
  upstream.on("error", () => client.destroy());
  const finish = () => {
    upstream.destroy();
    closeAfterFlush(client as net.Socket);
  };
  // An upstream that stalls mid-answer is cut (idle timeout), not held open forever.
  upstream.setTimeout(opts.handshakeTimeoutMs, () => {
    upstream.destroy();
    client.destroy();
  });
  let remaining = hasNoBody("GET", head.status) ? 0 : head.contentLength;
  const chunked = head.chunked ? new ChunkedDecoder() : null;
  const pass = (d: Buffer): void => {
    if (remaining >= 0) {
      const take = Math.min(remaining, d.length);
      client.write(d.subarray(0, take));
      remaining -= take;
      if (remaining === 0) finish();
    } else if (chunked) {
      try {
        chunked.push(d);
      } catch {
        upstream.destroy();
        client.destroy();
        return;
      }
      client.write(chunked.done ? d.subarray(0, d.length - chunked.rest) : d);
      if (chunked.done) finish();
    } else client.write(d);
  };
  if (remaining === 0) return finish();
  if (rest.length) pass(rest);
  if (upstream.destroyed) return;
  upstream.on("data", pass);
  upstream.on("end", finish);
  client.once("close", () => upstream.destroy());
}
