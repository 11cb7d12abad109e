// Guards the Express entry puts in front of everything (app/server.ts), so that bad input gets a
// 4xx with a message before any handler does work: URLs with malformed %-escapes, bodies whose
// declared size is over the limit, and the error handler that turns client errors (body-parser's
// too-large or malformed bodies, HttpError) into their status instead of a 500.
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "../log";
import { HttpError } from "./errors";
import { sendRefusal } from "./security";

/**
 * 400 for a path with a malformed %-escape (/hub/api/users/%ff): Next would fail on it while
 * decoding route parameters, which ends in a 500.
 */
export function refuseMalformedPaths(req: Request, res: Response, next: NextFunction): void {
  const url = req.originalUrl;
  const q = url.indexOf("?");
  try {
    decodeURIComponent(q === -1 ? url : url.slice(0, q));
  } catch {
    return sendRefusal(req, res, 400, "The address has a malformed %-escape (a % must be followed by two hex digits of UTF-8).");
  }
  next();
}

/**
 * 413 before anything is read for a body whose Content-Length is over `maxBytes`. Bodies without
 * one (chunked) are cut off by whoever reads them: readJson (http/route.ts) and Express's
 * urlencoded parser, both with a limit.
 */
export function limitBodies(maxBytes: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (!(declared > maxBytes)) return next();
    discardThenClose(req, res);
    sendRefusal(req, res, 413, `The request body is larger than ${maxBytes} bytes.`);
  };
}

/** How long the rest of a refused body is discarded before its connection is closed. */
const LINGER_MS = 2000;

/**
 * For a request answered before its body was read: once the answer is sent, what still arrives is
 * thrown away (never buffered) for LINGER_MS, then the connection is closed. Closing at once
 * would make the kernel reset a connection with unread data, and a client still sending often
 * loses the answer with it (nginx's "lingering close" for the same reason).
 */
export function discardThenClose(req: Request, res: Response): void {
  res.once("finish", () => {
    if (req.complete) return;
    req.resume();
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
    timer.unref();
    req.once("end", () => clearTimeout(timer));
  });
}

/** body-parser's error types and what they mean for the person who sent the request. */
const BODY_ERRORS: Record<string, string> = {
  "entity.too.large": "The request body is too large for this form.",
  "entity.parse.failed": "The request body could not be parsed.",
  "entity.verify.failed": "The request body could not be verified.",
  "request.aborted": "The request was aborted while its body was being read.",
  "request.size.invalid": "The request body's size does not match its Content-Length.",
  "charset.unsupported": "The request body's charset is not supported.",
  "encoding.unsupported": "The request body's Content-Encoding is not supported.",
  "parameters.too.many": "The form has too many fields.",
};

/**
 * The last Express error handler: client errors keep their status (4xx) and get a message (the
 * styled page for browsers, JSON otherwise); anything else is logged and answered with a 500.
 */
export function expressErrorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown };
    const status = err instanceof HttpError ? err.status : typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : 500;
    if (res.headersSent) {
      if (status >= 500) log.error({ err }, "request failed after its answer began");
      res.destroy();
      return;
    }
    if (status >= 400 && status < 500) {
      const message = err instanceof HttpError ? err.message : (BODY_ERRORS[String(e.type)] ?? "The request was malformed.");
      discardThenClose(req, res);
      return sendRefusal(req, res, status, message);
    }
    log.error({ err }, "request failed");
    sendRefusal(req, res, 500, "Internal error; the hub's log has the details.");
  };
}
