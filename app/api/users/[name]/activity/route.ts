// POST /hub/api/users/[name]/activity – a server (or a service) reports the user's and servers'
// last activity, JupyterHub's body: {last_activity, servers: {name: {last_activity}}}
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireSelfOrAdmin } from "@/app/_lib/auth/request-auth";
import { parseActivityReport } from "@/app/_lib/users/activity-report";
import { applyActivityReport } from "@/app/_lib/users/activity";
import { normalizeUsername } from "@/app/_lib/users/names";

export const dynamic = "force-dynamic";
type P = { name: string };

export const POST = route<P>(async (req, { params }) => {
  const name = normalizeUsername((await params).name);
  await requireSelfOrAdmin(req, name);
  const now = new Date();
  await applyActivityReport(getRuntime().db, name, parseActivityReport(await readJson(req), now));
  return new Response(null, { status: 200 });
});
