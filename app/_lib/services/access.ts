// Who may read the service list and models: admins (tokens need list:services / read:services,
// enforced from the path by request-auth) and services whose scopes carry them. Pure.
import { HttpError } from "@/app/_lib/http/errors";
import { hasScope, listFilters, scopesFor } from "@/app/_lib/auth/scopes";
import { toServiceModel, toServiceNameModel, type ServiceModel, type ServiceRegistry } from "./registry";

/** The caller as far as these answers care. */
export interface ServiceReader {
  user: { admin: boolean };
  service?: { name: string };
  scopes: ReadonlySet<string>;
}

function mayRead(who: ServiceReader): void {
  if (!who.user.admin && !who.service)
    throw new HttpError(403, "Reading services needs an admin account or a service's token with list:services / read:services.");
}

/** GET /hub/api/services: JupyterHub's {name: model}; list:services alone shows names only. */
export function listServiceModels(
  registry: ServiceRegistry,
  who: ServiceReader,
  pidOf: (name: string) => number,
): Record<string, ServiceModel | Pick<ServiceModel, "kind" | "name">> {
  mayRead(who);
  // list:services!service=… lists those services only; read:services (or its filter) shows models
  const only = listFilters(who.scopes, "list:services")?.map((f) => f.value);
  const listed = only ? registry.list.filter((s) => only.includes(s.name)) : registry.list;
  const full = (name: string) => hasScope(scopesFor(who.scopes, { service: name }), "read:services");
  return Object.fromEntries(listed.map((s) => [s.name, full(s.name) ? toServiceModel(s, pidOf(s.name)) : toServiceNameModel(s)]));
}

/** GET /hub/api/services/{name}: the model, or a 404 naming it. */
export function readServiceModel(registry: ServiceRegistry, who: ServiceReader, name: string, pidOf: (name: string) => number): ServiceModel {
  mayRead(who);
  const s = registry.byName(name);
  if (!s) throw new HttpError(404, `No such service: ${name}`);
  return toServiceModel(s, pidOf(s.name));
}
