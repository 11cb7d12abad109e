// GET /hub/api/groups – JupyterHub's group list (admin): offset/limit pagination; a token sees the
// fields its scopes cover (list:groups alone: names only, read:groups adds members and properties)
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { hasScope } from "@/app/_lib/auth/scopes";
import { listGroupModels } from "@/app/_lib/groups/groups";
import { listResponse, parsePageQuery, wantsPagination } from "@/app/_lib/http/list-query";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const actor = await requireAdmin(req);
  const url = new URL(req.url);
  const q = parsePageQuery(url.searchParams, wantsPagination(req.headers));
  const { total, items } = await listGroupModels(getRuntime().db, { offset: q.offset, limit: q.limit });
  const visible = hasScope(actor.scopes, "read:groups") ? items : items.map((g) => ({ kind: g.kind, name: g.name }));
  return listResponse(req, { items: visible, offset: q.offset, limit: q.limit, total });
});
