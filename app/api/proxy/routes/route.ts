// GET /hub/api/proxy/routes – the full route table for a proxy (CHP's GET /api/routes shape)
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireProxy } from "@/app/_lib/auth/request-auth";
import { buildRouteTable } from "@/app/_lib/proxy-state";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  requireProxy(req);
  const { db, catalog, config } = getRuntime();
  return Response.json(await buildRouteTable(db, catalog, config.services));
});
