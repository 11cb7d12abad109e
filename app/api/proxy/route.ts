// GET /hub/api/proxy – JupyterHub's view of the routing table (`proxy` scope, admins): every
// running server's, configured service's and stored extra route as {routespec, target, data}, by routespec, with offset/limit and the
// pagination answer. It is the table the hub pushes to every proxy and each proxy pulls at its full
// sync (GET /hub/api/proxy/routes), not one proxy's copy. POST – JupyterHub's re-sync: the same table
// replaces every proxy's (each address of a headless Service), 200 with no body. PATCH (pointing the
// hub at another proxy API URL or token) is not offered: see docs/jupyterhub-compat.md.
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { buildRouteTable, pageOfRoutes } from "@/app/_lib/proxy-state";
import { listResponse, parsePageQuery, wantsPagination } from "@/app/_lib/http/list-query";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  await requireAdmin(req);
  const { db, catalog, config } = getRuntime();
  const q = parsePageQuery(new URL(req.url).searchParams, wantsPagination(req.headers));
  const { items, total } = pageOfRoutes(await buildRouteTable(db, catalog, config.services), q);
  return listResponse(req, { items, offset: q.offset, limit: q.limit, total });
});

export const POST = route(async (req) => {
  await requireAdmin(req);
  const { db, catalog, config, proxy, log } = getRuntime();
  const table = await buildRouteTable(db, catalog, config.services);
  // a proxy that cannot be reached is logged by the pusher; it pulls the table when it is back
  await proxy.replaceRoutes?.(table);
  log.info({ routes: Object.keys(table).length }, "route table pushed to every proxy (POST /hub/api/proxy)");
  return new Response(null, { status: 200 });
});
