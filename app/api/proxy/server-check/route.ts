// POST /hub/api/proxy/server-check – a proxy could not reach a user's server: the hub checks it
// now and says what it knows (state and reason), for the proxy's error page
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireProxy } from "@/app/_lib/auth/request-auth";
import { HttpError } from "@/app/_lib/http/errors";
import { checkServerForProxy } from "@/app/_lib/servers/server-check";
import { SERVER_CHECK_HUB_WAIT_MS } from "@/proxy/hub/connection";

export const dynamic = "force-dynamic";

const Target = z.object({ user: z.string().min(1).max(256), server: z.string().max(256) }).strict();

export const POST = route(async (req) => {
  requireProxy(req);
  const target = Target.parse(await readJson(req));
  const check = await checkServerForProxy(getRuntime(), target, { waitMs: SERVER_CHECK_HUB_WAIT_MS });
  if (!check) throw new HttpError(404, `There is no server "${target.server}" of user ${target.user}.`);
  return Response.json(check);
});
