// The REST API's two hottest reads, GET /hub/api/users and GET /hub/api/users/<name>, as functions
// of a web Request. The Next route files and the Express entry's fast path (app/_lib/http/
// rest-fast-path.ts) both answer with these, so the two cannot drift apart: the same
// authentication and scope checks (request-auth.ts), the same queries, the same JSON.
import { getRuntime } from "@/app/_lib/runtime";
import { requireAdmin, requireSelfOrAdmin } from "@/app/_lib/auth/request-auth";
import { listUserModels, readUserModel } from "@/app/_lib/users/queries";
import { serverDescriber } from "@/app/_lib/servers/details";
import { filterUserModel } from "@/app/_lib/users/models";
import { normalizeUsername } from "@/app/_lib/users/names";
import { flagParam, nextPage, parseUserListQuery, PAGINATION_MEDIA_TYPE, requestOrigin } from "@/app/_lib/http/list-query";

/** GET /hub/api/users (admin): JupyterHub's state filter, sort, include_stopped_servers and offset/limit pagination. */
export async function listUsersResponse(req: Request): Promise<Response> {
  const actor = await requireAdmin(req);
  const { db, dbProvider, config, catalog, origins } = getRuntime();
  const url = new URL(req.url);
  const paginated = (req.headers.get("accept") ?? "").includes(PAGINATION_MEDIA_TYPE);
  const q = parseUserListQuery(url.searchParams, paginated);
  const { total, items } = await listUserModels(db, dbProvider, {
    state: q.state,
    offset: q.offset,
    limit: q.limit,
    sort: q.sort,
    allServers: q.includeStoppedServers,
    publicUrl: config.hub.publicUrl,
    origins,
    describe: serverDescriber(catalog),
  });
  // a token sees the fields its scopes cover (list:users alone: names only)
  const visible = items.map((u) => filterUserModel(u, actor.scopes) ?? { kind: "user", name: u.name });
  if (!paginated) return Response.json(visible);
  // Next hands route handlers the path without its basePath (/hub)
  const path = url.pathname.startsWith("/hub/") ? url.pathname : `/hub${url.pathname}`;
  const next = nextPage({ origin: requestOrigin(req.headers), path, query: url.searchParams, offset: q.offset, limit: q.limit, total });
  return Response.json(
    { items: visible, _pagination: { offset: q.offset, limit: q.limit, total, next } },
    { headers: { "content-type": PAGINATION_MEDIA_TYPE } },
  );
}

/** GET /hub/api/users/<name>: the user themselves or an admin; `rawName` is the decoded path segment. */
export async function userResponse(req: Request, rawName: string): Promise<Response> {
  const name = normalizeUsername(rawName);
  const actor = await requireSelfOrAdmin(req, name);
  const { db, dbProvider, config, catalog, origins } = getRuntime();
  const allServers = flagParam(new URL(req.url).searchParams, "include_stopped_servers");
  const model = await readUserModel(db, dbProvider, name, { allServers, publicUrl: config.hub.publicUrl, origins, describe: serverDescriber(catalog) });
  // a token sees the fields its scopes cover (requiredScopes let only reading scopes in)
  return Response.json(filterUserModel(model, actor.scopes) ?? { kind: "user", name });
}
