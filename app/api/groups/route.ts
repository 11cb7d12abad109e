// GET /hub/api/groups – JupyterHub's group list (admin): offset/limit pagination; a token sees the
// fields its scopes cover (list:groups alone: names only, read:groups adds members and properties).
// POST – create several groups with the same members {groups, users} (admin:groups); all or none.
import { getRuntime } from "@/app/_lib/runtime";
import { readJson, route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { hasScope, listFilters, scopesFor } from "@/app/_lib/auth/scopes";
import { createGroups, getGroupModel, listGroupModels } from "@/app/_lib/groups/groups";
import { parseCreateGroupsBody } from "@/app/_lib/groups/rest-group-body";
import { listResponse, parsePageQuery, wantsPagination } from "@/app/_lib/http/list-query";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const actor = await requireAdmin(req);
  const url = new URL(req.url);
  const q = parsePageQuery(url.searchParams, wantsPagination(req.headers));
  // list:groups!group=… lists those groups only
  const only = listFilters(actor.scopes, "list:groups")?.map((f) => f.value);
  const { total, items } = await listGroupModels(getRuntime().db, {
    offset: q.offset,
    limit: q.limit,
    roles: getRuntime().config.roles,
    ...(only ? { only } : {}),
  });
  const visible = items.map((g) => (hasScope(scopesFor(actor.scopes, { group: g.name }), "read:groups") ? g : { kind: g.kind, name: g.name }));
  return listResponse(req, { items: visible, offset: q.offset, limit: q.limit, total });
});

export const POST = route(async (req) => {
  await requireAdmin(req);
  const { groups, users } = parseCreateGroupsBody(await readJson(req));
  const { db } = getRuntime();
  const created = await createGroups(db, groups, users, { unknownUserStatus: 400 });
  return Response.json(await Promise.all(created.map((g) => getGroupModel(db, g.name, getRuntime().config.roles))), { status: 201 });
});
