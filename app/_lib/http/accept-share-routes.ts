// POST /hub/accept-share – the confirmation of app/accept-share/page.tsx: a logged-in user turns a
// share code into a share of the server and is sent there. The global Origin check has run; the
// form carries the session's CSRF token, so no other page can accept a code for the user.
import express from "express";
import { timingSafeEqual } from "node:crypto";
import { getRuntime } from "../runtime";
import { readRequestSession } from "../auth/sessions";
import { acceptShareCode } from "../shares/share-codes";
import { HttpError } from "./errors";
import { sendRefusal } from "./security";
import { userOrigin } from "@/proxy/origins/origin-plan";

export function acceptShareRouter(): express.Router {
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: "4kb" });
  r.post("/hub/accept-share", form, async (req, res, nextFn) => {
    try {
      const { db, keys, origins, proxy } = getRuntime();
      const body = (req.body ?? {}) as Record<string, unknown>;
      const code = typeof body.code === "string" ? body.code : "";
      const csrf = typeof body._csrf === "string" ? body._csrf : "";
      const session = await readRequestSession(db, req.headers.cookie, keys.sessionCookie, new Date(), origins.scheme === "https:");
      if (!session) return res.redirect(303, `/hub/login?next=${encodeURIComponent(`/hub/accept-share?${new URLSearchParams({ code })}`)}`);
      if (!sameSecret(csrf, session.csrf)) return sendRefusal(req, res, 403, "Refused: the form's CSRF token is missing or stale. Open the share link again.");
      try {
        const shared = await acceptShareCode({ db, proxy, plan: origins }, { id: session.user.id, name: session.user.name }, code, new Date());
        res.setHeader("Cache-Control", "no-store");
        res.setHeader("Referrer-Policy", "no-referrer");
        res.redirect(303, origins.mode === "per-user" ? userOrigin(origins, shared.owner) + shared.url : shared.url);
      } catch (err) {
        if (err instanceof HttpError) return sendRefusal(req, res, err.status, err.message);
        throw err;
      }
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
