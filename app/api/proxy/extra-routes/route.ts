// POST /hub/api/proxy/extra-routes {path, data} – a proxy received a route from another client
// through its configurable-http-proxy API: store it and push it to every proxy.
// DELETE /hub/api/proxy/extra-routes {path} – one was deleted through a proxy: forget it everywhere.
// Only the proxy may call these; paths the hub owns are refused (app/_lib/extra-routes.ts).
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireProxy } from "@/app/_lib/auth/request-auth";
import { HttpError } from "@/app/_lib/http/errors";
import { deleteExtraRoute, saveExtraRoute } from "@/app/_lib/extra-routes";
import { EXTRA_ROUTE_MAX_DATA_BYTES } from "@/proxy/routing/extra-route-policy";

export const dynamic = "force-dynamic";

const RoutePath = z.string().min(1).max(1024);
const Add = z.object({ path: RoutePath, data: z.record(z.string(), z.unknown()) }).strict();
const Remove = z.object({ path: RoutePath }).strict();

export const POST = route(async (req) => {
  requireProxy(req);
  const { path, data } = Add.parse(await readJson(req, { maxBytes: EXTRA_ROUTE_MAX_DATA_BYTES + 2048 }));
  const { db, proxy } = getRuntime();
  const stored = await saveExtraRoute(db, proxy, path, data);
  return Response.json({ path: stored }, { status: 201 });
});

export const DELETE = route(async (req) => {
  requireProxy(req);
  const { path } = Remove.parse(await readJson(req));
  const { db, proxy } = getRuntime();
  if (!(await deleteExtraRoute(db, proxy, path))) throw new HttpError(404, `There is no route ${path} added through the proxy API.`);
  return new Response(null, { status: 204 });
});
