// GET /hub/metrics – the hub's Prometheus metrics (JupyterHub's /hub/metrics): an admin's session or
// a token with read:metrics, unless hub.authenticatePrometheus is false (JupyterHub's
// authenticate_prometheus). The counts are read from the database here, at scrape time.
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const { config, metrics } = getRuntime();
  if (config.hub.authenticatePrometheus) await requireAdmin(req);
  const { contentType, body } = await metrics.render();
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
});
