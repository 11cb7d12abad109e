// Wraps a route handler so every error becomes one consistent JSON response (see errors.ts).
import { getRuntime } from "../runtime";
import { errorToJson, HttpError } from "./errors";
import { jsonNestsDeeperThan, MAX_BODY_BYTES, MAX_JSON_DEPTH } from "./json-limits";

export type Params<T> = { params: Promise<T> };

export function route<P = Record<string, never>>(fn: (req: Request, ctx: Params<P>) => Promise<Response>) {
  return async (req: Request, ctx: Params<P>): Promise<Response> => {
    try {
      return await fn(req, ctx);
    } catch (err) {
      const { status, body } = errorToJson(err, getRuntime().log);
      return Response.json(body, { status });
    }
  };
}

/**
 * Parses a JSON body (empty body → {}). Every route reads its body through here, so every body is
 * bounded while it is read: a Content-Length over `maxBytes` is a 413 before anything is read,
 * a chunked body is cut off (413) as soon as it passes the limit. Malformed JSON, and nesting
 * deeper than MAX_JSON_DEPTH, are a 400 with a message.
 */
export async function readJson(req: Request, opts: { maxBytes?: number } = {}): Promise<unknown> {
  return parseJsonBody(await readBodyText(req, opts.maxBytes ?? MAX_BODY_BYTES));
}

/**
 * A request body's text as readJson parses it (empty → {}; too deep or malformed → 400). The
 * Express fast path (rest-fast-path.ts) parses the body it read with this too, so both answer alike.
 */
export function parseJsonBody(text: string): unknown {
  if (!text.trim()) return {};
  if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) throw new HttpError(400, `The request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels.`);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "The request body is not valid JSON.");
  }
}

/** The 413 of a body over `maxBytes`. */
export function bodyTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, `The request body is larger than ${maxBytes} bytes.`);
}

/** Whether the request's Content-Length (as Headers.get gives it) declares more than `maxBytes`. */
export function declaresMoreThan(headers: { get(name: string): string | null }, maxBytes: number): boolean {
  return Number(headers.get("content-length") ?? "0") > maxBytes;
}

/** The body as text, at most `maxBytes` (413 beyond, before reading more). */
async function readBodyText(req: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => bodyTooLarge(maxBytes);
  if (declaresMoreThan(req.headers, maxBytes)) throw tooLarge();
  if (!req.body) return "";
  const reader = req.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** Parses an application/x-www-form-urlencoded body (OAuth's token requests, HTML forms), bounded like readJson. */
export async function readForm(req: Request, opts: { maxBytes?: number } = {}): Promise<URLSearchParams> {
  return new URLSearchParams(await readBodyText(req, opts.maxBytes ?? MAX_BODY_BYTES));
}
