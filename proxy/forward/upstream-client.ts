// The lean upstream client: bodyless HTTP/1.1 requests to plain-HTTP upstreams over pooled
// keep-alive net.Sockets, without http.request. The request head is written as one string; the
// response head is parsed by proxy/forward/response-framing.ts and the body bytes are passed to
// the client's ServerResponse unchanged (a chunked body is de-framed into slices and Node
// re-frames it for the client, as with http.request). Why: ClientRequest/Agent/IncomingMessage
// per request were most of the proxy's CPU per request that was not syscalls (docs/decisions.md
// "Proxy fast path"). Requests with a body, and HTTPS upstreams, stay on http.request.
import net from "node:net";
import type http from "node:http";
import { SecretScrubber, isHtmlResponse, withoutContentLength } from "./secret-scrub";
import { parseResponseHead, hasNoBody, ChunkedDecoder, type ResponseHead } from "./response-framing";

/** What the caller learns about one exchange. */
export interface ExchangeEvents {
  /** The response head arrived and is being written to the client (metrics, activity). */
  onResponse(status: number): void;
  /**
   * Nothing was sent to the client yet and the upstream failed: answer with an error page.
   * `code` is ECONNREFUSED / ETIMEDOUT / ECONNRESET / EPROTO etc.
   */
  onError(err: NodeJS.ErrnoException): void;
  /** The upstream failed after the response head was sent (the client's response is cut). */
  onBrokenBody(err: NodeJS.ErrnoException): void;
}

/** Options of the pool. */
export interface UpstreamClientOptions {
  connectTimeoutMs: number;
  /** an upstream silent this long (waiting for a response, or idle in the pool) is cut */
  idleTimeoutMs: number;
  /** idle sockets kept per host:port */
  maxFreeSockets?: number;
}

/** An error code on an Error, the way Node's own errors carry one. */
function codeError(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

const EXCHANGE = Symbol("gyre.exchange");
type PooledSocket = net.Socket & {
  [EXCHANGE]?: Exchange | null;
  gyreKey?: string;
  gyreLastError?: NodeJS.ErrnoException;
  /** performance.now() after which the upstream may have closed it (its Keep-Alive hint) */
  gyreStaleAt?: number;
};

/** Where a request goes: host:port, or a unix socket (then host and port are not used). */
export interface UpstreamTarget {
  host: string;
  port: number;
  socketPath: string | null;
}

/** Methods that may be sent again when a reused connection turns out to be closed. */
const RETRYABLE = new Set(["GET", "HEAD", "OPTIONS", "DELETE", "PUT", "TRACE"]);

/** One request/response over one socket (and maybe one retry on a fresh socket). */
class Exchange {
  socket: PooledSocket | null = null;
  reused = false;
  retried = false;
  received = 0;
  head: ResponseHead | null = null;
  pending: Buffer | undefined;
  noBody = false;
  remaining = 0;
  untilClose = false;
  decoder: ChunkedDecoder | null = null;
  reusable = false;
  finished = false;
  paused = false;
  /** set for an HTML response when a secret must not reach the client (see secret-scrub.ts) */
  scrubber: SecretScrubber | null = null;
  readonly resume = () => {
    this.paused = false;
    this.socket?.resume();
  };

  constructor(
    readonly client: UpstreamClient,
    readonly key: string,
    readonly target: UpstreamTarget,
    readonly method: string,
    readonly requestHead: string,
    readonly res: http.ServerResponse,
    readonly filterHeaders: (raw: string[]) => string[],
    readonly events: ExchangeEvents,
    /** removed from HTML responses (the server's token); null: responses pass unchanged */
    readonly scrubSecret: Buffer | null,
  ) {}

  onData(buf: Buffer): void {
    this.received += buf.length;
    if (this.head === null) {
      if (this.pending !== undefined) buf = Buffer.concat([this.pending, buf]);
      let head: ResponseHead | null;
      try {
        head = parseResponseHead(buf);
      } catch (err) {
        return this.fail(codeError(`bad response from upstream: ${(err as Error).message}`, "EPROTO"));
      }
      if (head === null) {
        this.pending = buf;
        return;
      }
      this.pending = undefined;
      if (head.status < 200) {
        // 100 Continue / 103 Early Hints: informational, dropped; 101 was not asked for.
        if (head.status === 101) return this.fail(codeError("unexpected 101 from upstream", "EPROTO"));
        const rest = buf.subarray(head.headLength);
        if (rest.length) this.onData(rest);
        return;
      }
      this.head = head;
      this.reusable = !head.close;
      if (hasNoBody(this.method, head.status)) this.noBody = true;
      else if (head.chunked) this.decoder = new ChunkedDecoder();
      else if (head.contentLength >= 0) this.remaining = head.contentLength;
      else {
        this.untilClose = true;
        this.reusable = false;
      }
      let headers = this.filterHeaders(head.rawHeaders);
      if (this.scrubSecret !== null && !this.noBody && isHtmlResponse(head.rawHeaders)) {
        // The body shrinks when the secret is cut out: let Node frame it (chunked) instead.
        this.scrubber = new SecretScrubber(this.scrubSecret);
        headers = withoutContentLength(headers);
      }
      try {
        this.res.writeHead(head.status, head.statusMessage, headers);
      } catch (err) {
        // writeHead validates names and values; an invalid one is the upstream's fault.
        return this.fail(codeError(`bad response header from upstream: ${(err as Error).message}`, "EPROTO"));
      }
      this.events.onResponse(head.status);
      buf = buf.subarray(head.headLength);
      if (this.noBody) {
        if (buf.length) this.reusable = false;
        return this.finish();
      }
      if (!buf.length && !(this.remaining === 0 && this.decoder === null && !this.untilClose)) return;
    }
    this.body(buf);
  }

  private body(buf: Buffer): void {
    if (this.decoder !== null) {
      let slices: Buffer[];
      try {
        slices = this.decoder.push(buf);
      } catch (err) {
        return this.broken(codeError(`bad chunked body from upstream: ${(err as Error).message}`, "EPROTO"));
      }
      for (const s of slices) this.write(s);
      if (this.decoder.done) {
        if (this.decoder.rest) this.reusable = false;
        this.finish();
      }
      return;
    }
    if (this.untilClose) {
      if (buf.length) this.write(buf);
      return;
    }
    const take = Math.min(this.remaining, buf.length);
    // More than Content-Length: the connection's framing is lost; never reuse it.
    if (take < buf.length) this.reusable = false;
    this.remaining -= take;
    const last = take === buf.length ? buf : buf.subarray(0, take);
    // The last piece goes out with end(): one pass through ServerResponse's write path, not two.
    if (this.remaining === 0) this.finish(last);
    else this.write(last);
  }

  private write(chunk: Buffer): void {
    if (this.scrubber !== null) chunk = this.scrubber.push(chunk);
    if (chunk.length && !this.res.write(chunk) && !this.paused) {
      this.paused = true;
      this.socket?.pause();
      this.res.once("drain", this.resume);
    }
  }

  /** The response is complete: end it, and give the socket back (or close it). */
  private finish(last?: Buffer): void {
    if (this.finished) return;
    this.finished = true;
    if (this.scrubber !== null) {
      const tail = last === undefined ? Buffer.alloc(0) : this.scrubber.push(last);
      last = Buffer.concat([tail, this.scrubber.end()]);
    }
    if (last !== undefined && last.length) this.res.end(last);
    else this.res.end();
    const s = this.socket;
    this.socket = null;
    if (s) {
      // Like Node's Agent: trust an upstream's "Keep-Alive: timeout=N" minus a second of margin,
      // rather than race it with a request on a socket it is closing.
      const hint = this.head === null ? -1 : this.head.keepAliveMs;
      s.gyreStaleAt = hint >= 0 ? performance.now() + hint - 1000 : undefined;
      this.client.release(s, this.reusable);
    }
    if (this.paused) this.res.off("drain", this.resume);
  }

  /** The client went away before the response was complete. */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    const s = this.socket;
    this.socket = null;
    if (s) this.client.release(s, false);
  }

  /** Upstream failure before or after the head reached the client. */
  private fail(err: NodeJS.ErrnoException): void {
    if (this.head !== null || this.res.headersSent) return this.broken(err);
    if (this.finished) return;
    this.finished = true;
    const s = this.socket;
    this.socket = null;
    if (s) this.client.release(s, false);
    this.events.onError(err);
  }

  private broken(err: NodeJS.ErrnoException): void {
    if (this.finished) return;
    this.finished = true;
    const s = this.socket;
    this.socket = null;
    if (s) this.client.release(s, false);
    this.events.onBrokenBody(err);
  }

  /** The socket closed while this exchange owned it. */
  onClose(err: NodeJS.ErrnoException | undefined): void {
    if (this.finished) return;
    if (this.head === null && this.received === 0 && this.reused && !this.retried && RETRYABLE.has(this.method) && !(err?.code === "ETIMEDOUT")) {
      // A kept-alive connection the upstream had just closed: send once more on a fresh one.
      this.retried = true;
      this.socket = null;
      this.client.attach(this, this.client.connect(this.key, this.target), false);
      return;
    }
    if (this.untilClose && !err) {
      this.socket = null;
      this.finished = true;
      this.res.end(this.scrubber !== null ? this.scrubber.end() : undefined);
      return;
    }
    this.fail(err ?? codeError("upstream closed the connection", "ECONNRESET"));
  }
}

/**
 * Keep-alive pool of plain TCP connections to upstreams, and the exchange logic on them. One
 * request at a time per connection; idle connections are reused last-in first-out.
 */
export class UpstreamClient {
  private readonly idle = new Map<string, PooledSocket[]>();
  private readonly all = new Set<PooledSocket>();
  private readonly maxFree: number;
  private closed = false;

  constructor(private readonly opts: UpstreamClientOptions) {
    this.maxFree = opts.maxFreeSockets ?? 512;
  }

  /**
   * Sends `requestHead` (the complete head, CRLF CRLF included, no body) to the target and
   * streams the response into `res`. The caller has already checked the request has no body.
   * With `scrubSecret`, that byte string is cut out of an HTML response's body.
   */
  request(
    target: UpstreamTarget,
    method: string,
    requestHead: string,
    res: http.ServerResponse,
    filterHeaders: (raw: string[]) => string[],
    events: ExchangeEvents,
    scrubSecret: Buffer | null = null,
  ): Exchange {
    const key = target.socketPath ?? target.host + ":" + target.port;
    const ex = new Exchange(this, key, target, method, requestHead, res, filterHeaders, events, scrubSecret);
    let socket: PooledSocket | undefined;
    const free = this.idle.get(key);
    while (free !== undefined && free.length) {
      const s = free.pop()!;
      if (s.gyreStaleAt !== undefined && s.gyreStaleAt <= performance.now()) s.destroy();
      else if (!s.destroyed && s.readyState === "open") {
        socket = s;
        break;
      }
    }
    if (socket !== undefined) this.attach(ex, socket, true);
    else this.attach(ex, this.connect(key, target), false);
    return ex;
  }

  /** @internal */
  attach(ex: Exchange, socket: PooledSocket, reused: boolean): void {
    if (this.closed) {
      socket.destroy();
      ex.onClose(codeError("proxy closing", "ECONNRESET"));
      return;
    }
    socket[EXCHANGE] = ex;
    ex.socket = socket;
    ex.reused = reused;
    socket.write(ex.requestHead, "latin1");
  }

  /** @internal */
  connect(key: string, target: UpstreamTarget): PooledSocket {
    const socket = (
      target.socketPath !== null ? net.connect({ path: target.socketPath }) : net.connect({ host: target.host, port: target.port, noDelay: true })
    ) as PooledSocket;
    socket.gyreKey = key;
    socket[EXCHANGE] = null;
    this.all.add(socket);
    // Set once per connection, not per request (a per-request setTimeout showed in profiles):
    // every read and write re-arms it, so it cuts an upstream silent for idleTimeoutMs while we
    // wait for its answer, and an idle pooled connection after the same time.
    socket.setTimeout(this.opts.idleTimeoutMs);
    const timer = setTimeout(() => socket.destroy(codeError("connect timeout", "ETIMEDOUT")), this.opts.connectTimeoutMs);
    socket.once("connect", () => clearTimeout(timer));
    socket.on("data", (buf: Buffer) => {
      const ex = socket[EXCHANGE];
      // Bytes on an idle connection break its framing: drop it.
      if (ex) ex.onData(buf);
      else socket.destroy();
    });
    socket.on("timeout", () => socket.destroy(codeError("upstream timed out", "ETIMEDOUT")));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      socket.gyreLastError = err;
    });
    // A half-closed upstream can never answer a next request.
    socket.on("end", () => socket.destroy());
    socket.on("close", () => {
      clearTimeout(timer);
      this.all.delete(socket);
      const ex = socket[EXCHANGE];
      socket[EXCHANGE] = null;
      if (ex) ex.onClose(socket.gyreLastError);
      else {
        const free = this.idle.get(key);
        const i = free ? free.lastIndexOf(socket) : -1;
        if (i >= 0) free!.splice(i, 1);
      }
    });
    return socket;
  }

  /** @internal Returns a socket to the pool, or destroys it. */
  release(socket: PooledSocket, reusable: boolean): void {
    socket[EXCHANGE] = null;
    if (!reusable || this.closed || socket.destroyed) {
      socket.destroy();
      return;
    }
    socket.resume();
    const key = socket.gyreKey!;
    let free = this.idle.get(key);
    if (free === undefined) this.idle.set(key, (free = []));
    if (free.length >= this.maxFree) {
      socket.destroy();
      return;
    }
    free.push(socket);
  }

  /** Open upstream connections (tests, leak checks). */
  get openSockets(): number {
    return this.all.size;
  }

  /** Destroys every connection. */
  close(): void {
    this.closed = true;
    for (const s of this.all) s.destroy();
    this.idle.clear();
  }
}

export type { Exchange };
