// Removes one secret from a byte stream that arrives in pieces. Pure.
//
// Why: the proxy authenticates to a user's Jupyter server with the server's token, and Jupyter
// writes the token it was authenticated with into every HTML page it renders
// (`data-jupyter-api-token="…"`, `?token=…` links). A script in such a page could read it and use
// it later straight against the server's port. The proxy takes it out of HTML responses, so the
// token never reaches a browser. Jupyter's own JavaScript does not read that attribute; API calls
// through the proxy get the token injected anyway.

/** Streams bytes with every occurrence of `secret` deleted, across piece boundaries. */
export class SecretScrubber {
  /** bytes held back because they could be the start of the secret */
  private held: Buffer = Buffer.alloc(0);

  constructor(private readonly secret: Buffer) {
    if (secret.length === 0) throw new Error("SecretScrubber needs a non-empty secret");
  }

  /** The bytes of `chunk` (after earlier held bytes) that can be sent now. */
  push(chunk: Buffer): Buffer {
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    const out: Buffer[] = [];
    let from = 0;
    for (;;) {
      const at = data.indexOf(this.secret, from);
      if (at === -1) break;
      out.push(data.subarray(from, at));
      from = at + this.secret.length;
    }
    // Hold back the longest tail that is a prefix of the secret: it may complete in the next piece.
    const keep = this.partialPrefixAtEnd(data, from);
    out.push(data.subarray(from, data.length - keep));
    this.held = Buffer.from(data.subarray(data.length - keep));
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** What is still held at the end of the stream (it was not the secret after all). */
  end(): Buffer {
    const rest = this.held;
    this.held = Buffer.alloc(0);
    return rest;
  }

  private partialPrefixAtEnd(data: Buffer, from: number): number {
    const max = Math.min(this.secret.length - 1, data.length - from);
    for (let n = max; n > 0; n--) {
      if (data.compare(this.secret, 0, n, data.length - n, data.length) === 0) return n;
    }
    return 0;
  }
}

/** Whether a response is an HTML page (by its raw header list), the kind Jupyter writes tokens into. */
export function isHtmlResponse(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length === 12 && rawHeaders[i].toLowerCase() === "content-type") return /^\s*text\/html\b/i.test(rawHeaders[i + 1]);
  }
  return false;
}

/** A flat [name, value, …] header list without Content-Length (the scrubbed body is shorter). */
export function withoutContentLength(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() !== "content-length") out.push(headers[i], headers[i + 1]);
  return out;
}
