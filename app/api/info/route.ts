// GET /hub/api/info – detailed hub information (admins; tokens need read:hub)
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { infoAnswer } from "@/app/_lib/hub/version";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  await requireAdmin(req);
  const { config } = getRuntime();
  const loginMethods = [...(config.auth.local.enabled ? ["local"] : []), ...(config.auth.github.enabled ? ["github"] : [])];
  return Response.json(infoAnswer({ spawnerKind: config.spawner.kind, loginMethods, node: process.version, executable: process.execPath }));
});
