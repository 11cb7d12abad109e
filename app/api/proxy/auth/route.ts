// GET /hub/api/proxy/auth – admins, revoked sessions, shares and role access, polled by proxies every few seconds
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireProxy } from "@/app/_lib/auth/request-auth";
import { buildAuthSnapshot } from "@/app/_lib/proxy-state";
import { servicesOf } from "@/app/_lib/services/registry";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  requireProxy(req);
  const { db, config } = getRuntime();
  return Response.json(await buildAuthSnapshot(db, new Date(), config.roles, servicesOf(config).list));
});
