// The client's address as the hub counts it (login limits): the address the proxy saw, taken from
// X-Forwarded-For only when the request really comes through the proxy. Loopback is not proof of
// that: every notebook on the hub's host connects from 127.0.0.1 and could name any address. The
// proxy proves itself with a header carrying a secret derived from hub.secretKey
// (proxy/forward/upstream-headers.ts adds it to requests for the hub, and drops any copy a client
// sent); without it, the socket's peer address counts.
import { timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { PROXY_HOP_HEADER } from "@/proxy/forward/upstream-headers";

const ADDRESS = Symbol("gyre.clientAddress");
type WithAddress = Request & { [ADDRESS]?: string };

/** Express middleware: decides each request's client address once (see clientAddress()). */
export function trustProxyHop(hopSecret: string) {
  const expected = Buffer.from(hopSecret);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const sent = req.headers[PROXY_HOP_HEADER];
    const given = typeof sent === "string" ? Buffer.from(sent) : null;
    const viaProxy = !!given && given.length === expected.length && timingSafeEqual(given, expected);
    // Nothing after this needs the secret; Next and its error pages never see it.
    delete req.headers[PROXY_HOP_HEADER];
    (req as WithAddress)[ADDRESS] = (viaProxy ? lastForwardedFor(req.headers["x-forwarded-for"]) : undefined) ?? req.socket.remoteAddress ?? "";
    next();
  };
}

/** The address trustProxyHop() decided; the socket's peer when it did not run. */
export function clientAddress(req: Request): string {
  return (req as WithAddress)[ADDRESS] ?? req.socket.remoteAddress ?? "";
}

/** The right-most X-Forwarded-For entry: the one the proxy appended (entries left of it are the client's say). */
function lastForwardedFor(header: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(header) ? header.join(",") : header;
  const last = joined?.split(",").pop()?.trim();
  return last || undefined;
}
