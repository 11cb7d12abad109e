// GET /hub/api/services – JupyterHub's service list ({name: model}); admins and services
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { servicesOf } from "@/app/_lib/services/registry";
import { listServiceModels } from "@/app/_lib/services/access";
import { managedServicePid } from "@/app/_lib/services/service-pids";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const actor = await requireUser(req);
  return Response.json(listServiceModels(servicesOf(getRuntime().config), actor, managedServicePid));
});
