// HTTP/1.1 response framing for the lean upstream client (proxy/forward/upstream-client.ts):
// parse a response head, and find where a chunked body ends. Only the framing is parsed; body
// bytes are passed on unchanged (a chunked body is de-framed into slices of the same buffer, no
// copies). Anything this parser does not understand is an error, and the caller answers 502 —
// it never guesses. Pure.

/** A parsed response head. */
export interface ResponseHead {
  status: number;
  statusMessage: string;
  /** flat [name, value, ...] as received (names keep their case) */
  rawHeaders: string[];
  /** bytes the head took, including the blank line */
  headLength: number;
  /** Content-Length, or -1 when absent */
  contentLength: number;
  chunked: boolean;
  /** the upstream will close (Connection: close, HTTP/1.0 without keep-alive) */
  close: boolean;
  /** the upstream's `Keep-Alive: timeout=N` hint in ms, or -1 */
  keepAliveMs: number;
}

/** Largest head accepted (Node's default --max-http-header-size is 16 KiB; be a little kinder). */
export const MAX_HEAD_BYTES = 64 * 1024;

const CRLFCRLF = Buffer.from("\r\n\r\n");
// RFC 9110 token characters; values: no CR, LF or NUL (what Node's writeHead checks anyway).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;

/**
 * Parses a response head from the start of `buf`. Returns null when the head is not complete
 * yet, throws on a malformed head (the caller answers 502 and drops the connection).
 */
export function parseResponseHead(buf: Buffer): ResponseHead | null {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) {
    if (buf.length > MAX_HEAD_BYTES) throw new Error("response head too large");
    return null;
  }
  const text = buf.toString("latin1", 0, end);
  let eol = text.indexOf("\r\n");
  if (eol < 0) eol = text.length;
  const statusLine = text.slice(0, eol);
  // "HTTP/1.1 200 OK" — reason phrase optional (may be empty).
  if (statusLine.length < 12 || !statusLine.startsWith("HTTP/1.") || statusLine[8] !== " ") throw new Error("bad status line");
  const minor = statusLine.charCodeAt(7) - 48;
  if (minor !== 0 && minor !== 1) throw new Error("bad HTTP version");
  const status = Number(statusLine.slice(9, 12));
  if (!Number.isInteger(status) || status < 100 || status > 999 || (statusLine.length > 12 && statusLine[12] !== " ")) throw new Error("bad status code");
  const statusMessage = statusLine.length > 13 ? statusLine.slice(13) : "";
  if (BAD_VALUE.test(statusMessage)) throw new Error("bad reason phrase");
  const rawHeaders: string[] = [];
  let contentLength = -1;
  let chunked = false;
  let close = minor === 0;
  let keepAliveMs = -1;
  let pos = eol + 2;
  while (pos < text.length) {
    let next = text.indexOf("\r\n", pos);
    if (next < 0) next = text.length;
    const colon = text.indexOf(":", pos);
    if (colon < 0 || colon > next) throw new Error("bad header line");
    const name = text.slice(pos, colon);
    // A leading space is obs-fold (or smuggling bait): refuse rather than guess.
    if (!TOKEN.test(name)) throw new Error("bad header name");
    const value = text.slice(colon + 1, next).trim();
    if (BAD_VALUE.test(value)) throw new Error("bad header value");
    rawHeaders.push(name, value);
    switch (name.length) {
      case 10:
        if (name.toLowerCase() === "connection") {
          const v = value.toLowerCase();
          if (v.includes("close")) close = true;
          else if (minor === 0 && v.includes("keep-alive")) close = false;
        } else if (name.toLowerCase() === "keep-alive") {
          const m = /(?:^|[,\s])timeout=(\d+)/i.exec(value);
          if (m) keepAliveMs = Number(m[1]) * 1000;
        }
        break;
      case 14:
        if (name.toLowerCase() === "content-length") {
          if (!/^\d{1,15}$/.test(value)) throw new Error("bad content-length");
          const n = Number(value);
          if (contentLength >= 0 && contentLength !== n) throw new Error("conflicting content-length");
          contentLength = n;
        }
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") {
          const v = value.toLowerCase();
          // Only "chunked" as the final coding frames the body; anything else is read to close.
          if (v === "chunked" || v.endsWith(",chunked") || v.endsWith(", chunked")) chunked = true;
          else close = true;
        }
        break;
    }
    pos = next + 2;
  }
  if (chunked && contentLength >= 0) {
    // RFC 9112 §6.3: Transfer-Encoding wins, and the connection must not be reused.
    contentLength = -1;
    close = true;
  }
  return { status, statusMessage, rawHeaders, headLength: end + 4, contentLength, chunked, close, keepAliveMs };
}

/** Whether a response to `method` with `status` has no body whatever its headers say. */
export function hasNoBody(method: string, status: number): boolean {
  return method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200);
}

const enum ChunkState {
  Size,
  SizeExt,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLf,
  TrailerLine,
  TrailerLineLf,
  Done,
}

/**
 * Streaming de-framer for a chunked body. push() returns the data slices found in `buf`
 * (subarrays, no copies); `done` turns true after the last chunk and its trailer section, and
 * `rest` is how many bytes of the last buffer came after the body (a keep-alive upstream
 * sends none). Trailers are read and dropped (Node's ServerResponse would need them declared).
 * Throws on malformed framing.
 */
export class ChunkedDecoder {
  private state = ChunkState.Size;
  private size = 0;
  private sizeDigits = 0;
  private remaining = 0;
  done = false;
  rest = 0;

  push(buf: Buffer, from = 0): Buffer[] {
    const out: Buffer[] = [];
    let i = from;
    const n = buf.length;
    while (i < n && this.state !== ChunkState.Done) {
      switch (this.state) {
        case ChunkState.Size: {
          const c = buf[i];
          const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
          if (d >= 0) {
            if (++this.sizeDigits > 12) throw new Error("chunk size too large");
            this.size = this.size * 16 + d;
          } else if (this.sizeDigits === 0) throw new Error("bad chunk size");
          else if (c === 13) this.state = ChunkState.SizeLf;
          else if (c === 59 || c === 32 || c === 9) this.state = ChunkState.SizeExt;
          else throw new Error("bad chunk size");
          i++;
          break;
        }
        case ChunkState.SizeExt:
          if (buf[i] === 13) this.state = ChunkState.SizeLf;
          else if (buf[i] === 10) throw new Error("bad chunk extension");
          i++;
          break;
        case ChunkState.SizeLf:
          if (buf[i++] !== 10) throw new Error("bad chunk size line");
          if (this.size === 0) this.state = ChunkState.Trailer;
          else {
            this.remaining = this.size;
            this.state = ChunkState.Data;
          }
          this.size = 0;
          this.sizeDigits = 0;
          break;
        case ChunkState.Data: {
          const take = Math.min(this.remaining, n - i);
          out.push(buf.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = ChunkState.DataCr;
          break;
        }
        case ChunkState.DataCr:
          if (buf[i++] !== 13) throw new Error("missing CRLF after chunk");
          this.state = ChunkState.DataLf;
          break;
        case ChunkState.DataLf:
          if (buf[i++] !== 10) throw new Error("missing CRLF after chunk");
          this.state = ChunkState.Size;
          break;
        // After the last chunk: either CRLF (no trailers) or trailer lines, then CRLF.
        case ChunkState.Trailer:
          if (buf[i] === 13) this.state = ChunkState.TrailerLf;
          else this.state = ChunkState.TrailerLine;
          i++;
          break;
        case ChunkState.TrailerLf:
          if (buf[i++] !== 10) throw new Error("bad chunked body end");
          this.state = ChunkState.Done;
          this.done = true;
          break;
        case ChunkState.TrailerLine:
          if (buf[i] === 13) this.state = ChunkState.TrailerLineLf;
          i++;
          break;
        case ChunkState.TrailerLineLf:
          if (buf[i++] !== 10) throw new Error("bad trailer line");
          this.state = ChunkState.Trailer;
          break;
      }
    }
    if (this.done) this.rest = n - i;
    return out;
  }
}
