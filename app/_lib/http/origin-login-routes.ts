// POST /hub/origin-login – an admin's confirmation that they want to open another user's origin
// (the page is app/origin-login/page.tsx). The global Origin check has run; the form carries the
// session's CSRF token, so no other page can confirm for the admin.
import express from "express";
import { timingSafeEqual } from "node:crypto";
import { isStateHash } from "@/proxy/origins/handshake";
import { getRuntime } from "../runtime";
import { buildOriginCallbackUrl, decideOriginAccess } from "../auth/origin-login";
import { readRequestSession } from "../auth/sessions";
import { sendRefusal } from "./security";

export function originLoginRouter(): express.Router {
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: "16kb" });
  r.post("/hub/origin-login", form, async (req, res, nextFn) => {
    try {
      const { db, keys, origins, config } = getRuntime();
      const body = (req.body ?? {}) as Record<string, unknown>;
      const field = (name: string) => {
        const v = body[name];
        return typeof v === "string" ? v : "";
      };
      const owner = field("user");
      const state = field("state");
      if (origins.mode !== "per-user" || !owner || !isStateHash(state)) {
        return sendRefusal(req, res, 400, "This sign-in request is incomplete. Open the server's page again.");
      }
      const session = await readRequestSession(db, req.headers.cookie, keys.sessionCookie, new Date(), origins.scheme === "https:");
      if (!session)
        return res.redirect(
          303,
          `/hub/login?next=${encodeURIComponent(`/hub/origin-login?${new URLSearchParams({ user: owner, state, next: field("next") })}`)}`,
        );
      if (!sameSecret(field("_csrf"), session.csrf)) {
        return sendRefusal(req, res, 403, "Refused: the form's CSRF token is missing or stale. Open the server's page again.");
      }
      if ((await decideOriginAccess(db, session.user, owner, config.roles)) === "forbidden")
        return sendRefusal(req, res, 403, `You may not open ${owner}'s server.`);
      const url = buildOriginCallbackUrl({
        plan: origins,
        key: keys.originCode,
        owner,
        viewer: session.user,
        session: { id: session.sessionId, expiresAt: session.expiresAt },
        stateHash: state,
        next: field("next"),
        now: new Date(),
      });
      res.setHeader("Cache-Control", "no-store");
      res.redirect(303, url);
    } catch (err) {
      nextFn(err);
    }
  });
  return r;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
