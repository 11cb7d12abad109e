// GET /hub/api/services/{name} – JupyterHub's service model; admins and services
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { servicesOf } from "@/app/_lib/services/registry";
import { readServiceModel } from "@/app/_lib/services/access";
import { managedServicePid } from "@/app/_lib/services/service-pids";

export const dynamic = "force-dynamic";

export const GET = route<{ name: string }>(async (req, { params }) => {
  const actor = await requireUser(req);
  const { name } = await params;
  return Response.json(readServiceModel(servicesOf(getRuntime().config), actor, name, managedServicePid));
});
