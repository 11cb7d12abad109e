// POST /hub/api/account/password – change your own password {current, new} (signed-in users, from
// the account page; not with an API token); ends your other sessions
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { HttpError } from "@/app/_lib/http/errors";
import { changeOwnPassword } from "@/app/_lib/users/password";

export const dynamic = "force-dynamic";

const Body = z.object({ current: z.string().max(1024), new: z.string().max(1024) }).strict();

export const POST = route(async (req) => {
  const me = await requireUser(req);
  // A token must not be enough to take over an account, even with the current password.
  if (me.via !== "session" || !me.sessionId) throw new HttpError(403, "Change your password from the account page, signed in; API tokens cannot.");
  const body = Body.parse(await readJson(req));
  const { db, config, proxy } = getRuntime();
  const ended = await changeOwnPassword(db, proxy, {
    userId: me.user.id,
    sessionId: me.sessionId,
    current: body.current,
    next: body.new,
    now: new Date(),
    attempts: { perWindow: config.auth.loginAttemptsPerWindow, windowSeconds: config.auth.loginWindowSeconds },
  });
  return Response.json({ changed: true, otherSessionsEnded: ended });
});
