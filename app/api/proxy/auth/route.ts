// GET /hub/api/proxy/auth – admins, revoked sessions, shares and role access, polled by proxies every few seconds
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireProxy } from "@/app/_lib/auth/request-auth";
import { buildAuthSnapshot } from "@/app/_lib/proxy-state";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  requireProxy(req);
  return Response.json(await buildAuthSnapshot(getRuntime().db, new Date(), getRuntime().config.roles));
});
