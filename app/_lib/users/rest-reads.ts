// The REST API's two hottest reads, GET /hub/api/users and GET /hub/api/users/<name>, as functions
// of a web Request. The Next route files and the Express entry's fast path (app/_lib/http/
// rest-fast-path.ts) both answer with these, so the two cannot drift apart: the same
// authentication and scope checks (request-auth.ts), the same queries, the same JSON.
import { getRuntime } from "@/app/_lib/runtime";
import type { ApiRequest } from "@/app/_lib/http/api-request";
import { requireAdmin, requireSelfOrAdmin } from "@/app/_lib/auth/request-auth";
import { listUserModels, listUsersJsonCached, readUserModel } from "@/app/_lib/users/queries";
import { UserListCache } from "@/app/_lib/users/list-cache";
import type { Db } from "@/app/_lib/db/types";
import { serverDescriber } from "@/app/_lib/servers/details";
import { visibleUserModel, withUserRoles } from "@/app/_lib/users/models";
import { normalizeUsername } from "@/app/_lib/users/names";
import { listFilters } from "@/app/_lib/auth/scopes";
import { answerResponse, flagParam, JsonText, listAnswer, parseUserListQuery, wantsPagination, type JsonAnswer } from "@/app/_lib/http/list-query";

/** GET /hub/api/users as a web Response (the Next route file). */
export async function listUsersResponse(req: Request): Promise<Response> {
  return answerResponse(await listUsersAnswer(req));
}

/** GET /hub/api/users/<name> as a web Response (the Next route file). */
export async function userResponse(req: Request, rawName: string): Promise<Response> {
  return answerResponse(await userAnswer(req, rawName));
}

/** GET /hub/api/users (admin): JupyterHub's state filter, sort, include_stopped_servers and offset/limit pagination. */
export async function listUsersAnswer(req: ApiRequest): Promise<JsonAnswer> {
  const actor = await requireAdmin(req);
  const { db, dbProvider, config, catalog, origins } = getRuntime();
  const url = new URL(req.url);
  const q = parseUserListQuery(url.searchParams, wantsPagination(req.headers));
  // list:users!user=…/!group=… lists only those users and the groups' members
  const filters = listFilters(actor.scopes, "list:users");
  const only = filters && {
    names: filters.filter((f) => f.kind === "user").map((f) => f.value),
    groups: filters.filter((f) => f.kind === "group").map((f) => f.value),
  };
  const opts = {
    state: q.state,
    offset: q.offset,
    limit: q.limit,
    sort: q.sort,
    allServers: q.includeStoppedServers,
    publicUrl: config.hub.publicUrl,
    origins,
    describe: serverDescriber(catalog),
    ...(only ? { only } : {}),
  };
  // a caller who sees everything (sessions, tokens without a scope list) gets the JSON written
  // without models, and it alone may be served from the cache: every such caller sees the same
  // page. Authentication and the admin check above run on every request, hit or not.
  if (actor.scopes.has("inherit")) {
    const { total, items } = await listUsersJsonCached(db, dbProvider, config.roles, opts, listCacheOf(db, config, origins, catalog));
    return listAnswer(req, { items: new JsonText(items), offset: q.offset, limit: q.limit, total });
  }
  const { total, items } = await listUserModels(db, dbProvider, opts);
  // a token sees the fields (and servers) its scopes cover for each user (list:users alone: names only)
  const visible = items.map((u) => visibleUserModel(withUserRoles(u, config.roles), actor.scopes) ?? { kind: "user", name: u.name });
  return listAnswer(req, { items: visible, offset: q.offset, limit: q.limit, total });
}

const listCaches = new WeakMap<Db, { context: readonly unknown[]; cache: UserListCache }>();

/**
 * The users list's cache of this database, for this config: a user's text depends on the
 * configured roles, the public URL, the per-user origins and the spawner catalog (fixed for a
 * hub's life; a test's new runtime on the same database gets a new cache).
 */
function listCacheOf(db: Db, ...context: readonly unknown[]): UserListCache {
  let held = listCaches.get(db);
  if (!held || held.context.length !== context.length || held.context.some((c, i) => c !== context[i])) {
    held = { context, cache: new UserListCache() };
    listCaches.set(db, held);
  }
  return held.cache;
}

/** GET /hub/api/users/<name>: the user themselves or an admin; `rawName` is the decoded path segment. */
export async function userAnswer(req: ApiRequest, rawName: string): Promise<JsonAnswer> {
  const name = normalizeUsername(rawName);
  const actor = await requireSelfOrAdmin(req, name);
  const { db, dbProvider, config, catalog, origins } = getRuntime();
  const allServers = flagParam(new URL(req.url).searchParams, "include_stopped_servers");
  const model = await readUserModel(db, dbProvider, name, { allServers, publicUrl: config.hub.publicUrl, origins, describe: serverDescriber(catalog) });
  // a token sees the fields (and servers) its scopes cover (requiredScopes let only reading scopes in)
  return { body: visibleUserModel(withUserRoles(model, config.roles), actor.scopes) ?? { kind: "user", name } };
}
