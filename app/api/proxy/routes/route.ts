// GET /hub/api/proxy/routes – the full route table for a proxy (CHP's GET /api/routes shape)
import { getRuntime } from "../../../_lib/runtime";
import { route } from "../../../_lib/http/route";
import { requireProxy } from "../../../_lib/auth/request-auth";
import { buildRouteTable } from "../../../_lib/proxy-state";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  requireProxy(req);
  return Response.json(await buildRouteTable(getRuntime().db));
});
