// Request bodies of the Express side, read with a hard limit: urlencoded form posts (login,
// logout, setup) and small JSON bodies (the git-pull API). Not express.urlencoded()/json():
// body-parser reads a body past its limit to the very end before it reports the 413 (its read.js
// drains the request first), so an endless chunked body was read forever and never answered. Here
// the answer comes as soon as the limit is passed, and the connection is closed soon after
// (express-guards.ts, discardThenClose).
import type { NextFunction, Request, Response } from "express";
import { sendRefusal } from "./security";
import { discardThenClose } from "./express-guards";
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from "./json-limits";

/** A form: every field sent exactly once (a field sent twice counts as absent). */
export type FormFields = Record<string, string>;

/** Express middleware: req.body = the form's fields (an empty object for other content types). */
export function urlencodedForm(opts: { limitBytes: number }) {
  return boundedBody({
    type: "application/x-www-form-urlencoded",
    what: "form",
    limitBytes: opts.limitBytes,
    parse: (text) => ({ ok: true, value: parseForm(text) }),
  });
}

/**
 * Express middleware: req.body = the parsed JSON body ({} for other content types or an empty
 * body). Malformed JSON, and nesting deeper than MAX_JSON_DEPTH, are a 400.
 */
export function jsonBody(opts: { limitBytes: number }) {
  return boundedBody({
    type: "application/json",
    what: "request body",
    limitBytes: opts.limitBytes,
    parse: (text) => {
      if (!text.trim()) return { ok: true, value: {} };
      if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH))
        return { ok: false, message: `The request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels.` };
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch {
        return { ok: false, message: "The request body is not valid JSON." };
      }
    },
  });
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/** Reads a body of one content type up to `limitBytes` (413 beyond, answered at once), then parses it (400 when that fails). */
function boundedBody(opts: { type: string; what: string; limitBytes: number; parse: (text: string) => Parsed }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    req.body = {};
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (type !== opts.type) return next();
    const tooLarge = () => {
      discardThenClose(req, res);
      sendRefusal(req, res, 413, `The ${opts.what} is larger than ${opts.limitBytes} bytes.`);
    };
    if (Number(req.headers["content-length"] ?? "0") > opts.limitBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      req.off("data", onData).off("end", onEnd).off("error", onError);
      fn();
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > opts.limitBytes) return finish(tooLarge);
      chunks.push(c);
    };
    const onEnd = () =>
      finish(() => {
        const parsed = opts.parse(Buffer.concat(chunks).toString("utf8"));
        if (!parsed.ok) return sendRefusal(req, res, 400, parsed.message);
        req.body = parsed.value;
        next();
      });
    const onError = () => finish(() => res.destroy());
    req.on("data", onData).on("end", onEnd).on("error", onError);
  };
}

/** Parses an urlencoded body; fields sent more than once are left out. */
export function parseForm(text: string): FormFields {
  const params = new URLSearchParams(text);
  const out: FormFields = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    if (all.length === 1) out[key] = all[0];
  }
  return out;
}
