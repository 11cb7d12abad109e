// GET /hub/api/user – who am I: the model of the token's (or session's) owner with the scopes the
// request carries (an inherit token: the owner's own and their configured roles'), as JupyterHub's
// (HubAuth and every client identifying a token call it); for a service's token, the service
// (kind "service").
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { readUserModel } from "@/app/_lib/users/queries";
import { serverDescriber } from "@/app/_lib/servers/details";
import { identityModel, withUserRoles } from "@/app/_lib/users/models";
import { serviceIdentityModel, servicesOf } from "@/app/_lib/services/registry";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const actor = await requireUser(req);
  const { db, dbProvider, config, catalog, origins } = getRuntime();
  const service = actor.service && servicesOf(config).byName(actor.service.name);
  if (service) return Response.json(serviceIdentityModel(service, actor.scopes));
  const model = await readUserModel(db, dbProvider, actor.user.name, { publicUrl: config.hub.publicUrl, origins, describe: serverDescriber(catalog) });
  return Response.json(identityModel(withUserRoles(model, config.roles), actor, config.roles));
});
