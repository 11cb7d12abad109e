// Routes other clients add through a proxy's configurable-http-proxy API (JupyterHub-style
// services, extra routes). The proxy that receives one hands it to the hub with its token; the
// hub stores it, pushes it to every proxy and lists it in the full table, so every replica has
// it, a restarted one too, and the full sync keeps it. Never a path the hub owns
// (proxy/routing/extra-route-policy.ts).
import { HttpError } from "./http/errors";
import type { Db } from "./db/types";
import type { ExtraRouteData, RoutePusher } from "./servers/proxy-client";
import { extraRouteRefusal } from "@/proxy/routing/extra-route-policy";
import { normalizeRoutePath, toRouteSpec } from "@/proxy/routing/route-path";

/** Every stored extra route, keyed by routespec ("/services/x/"), for the full table. */
export async function listExtraRoutes(db: Db): Promise<Record<string, ExtraRouteData>> {
  const rows = await db.extraRoute.findMany({ orderBy: { path: "asc" } });
  const out: Record<string, ExtraRouteData> = {};
  for (const r of rows) out[toRouteSpec(r.path)] = JSON.parse(r.data) as ExtraRouteData;
  return out;
}

/**
 * Stores (or replaces) an extra route and pushes it to every proxy. HttpError 403 for a path the
 * hub owns or a `spawn_id`, 400 for data that is no route.
 */
export async function saveExtraRoute(db: Db, proxy: Pick<RoutePusher, "addRoute">, rawPath: string, data: unknown): Promise<string> {
  const refusal = extraRouteRefusal(rawPath, data);
  if (refusal) throw new HttpError(403, refusal);
  const route = checkRouteData(data);
  const path = normalizeRoutePath(rawPath);
  const text = JSON.stringify(route);
  await db.extraRoute.upsert({ where: { path }, create: { path, data: text }, update: { data: text } });
  await proxy.addRoute(toRouteSpec(path), route);
  return path;
}

/** Removes an extra route and tells every proxy; false when none was stored. HttpError 403 for a path the hub owns. */
export async function deleteExtraRoute(db: Db, proxy: Pick<RoutePusher, "deleteRoute">, rawPath: string): Promise<boolean> {
  const refusal = extraRouteRefusal(rawPath, undefined);
  if (refusal) throw new HttpError(403, refusal);
  const path = normalizeRoutePath(rawPath);
  const { count } = await db.extraRoute.deleteMany({ where: { path } });
  if (count) await proxy.deleteRoute(toRouteSpec(path));
  return count > 0;
}

/** The route data as the proxy's route table accepts it: an object whose target is an http(s) URL. */
function checkRouteData(data: unknown): ExtraRouteData {
  const d = data as Record<string, unknown>;
  if (typeof d.target !== "string") throw new HttpError(400, "Must specify 'target' as string.");
  let url: URL;
  try {
    url = new URL(d.target);
  } catch {
    throw new HttpError(400, `Invalid target '${d.target}'.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new HttpError(400, `Unsupported target protocol '${url.protocol}': http or https.`);
  // last_activity is each proxy's own clock (CHP echoes it back; a client may post it again)
  const { last_activity: _ignored, ...route } = d;
  return route as ExtraRouteData;
}
