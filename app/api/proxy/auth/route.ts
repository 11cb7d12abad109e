// GET /hub/api/proxy/auth – admins and revoked sessions, polled by proxies every few seconds
import { getRuntime } from "../../../_lib/runtime";
import { route } from "../../../_lib/http/route";
import { requireProxy } from "../../../_lib/auth/request-auth";
import { buildAuthSnapshot } from "../../../_lib/proxy-state";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  requireProxy(req);
  return Response.json(await buildAuthSnapshot(getRuntime().db, new Date()));
});
