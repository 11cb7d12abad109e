// GET /hub/api/groups – JupyterHub's group list (admin): offset/limit pagination; a token sees the
// fields its scopes cover (list:groups alone: names only, read:groups adds members and properties)
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { hasScope } from "@/app/_lib/auth/scopes";
import { listGroupModels } from "@/app/_lib/groups/groups";
import { nextPage, parsePageQuery, PAGINATION_MEDIA_TYPE, requestOrigin } from "@/app/_lib/http/list-query";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const actor = await requireAdmin(req);
  const url = new URL(req.url);
  const paginated = (req.headers.get("accept") ?? "").includes(PAGINATION_MEDIA_TYPE);
  const q = parsePageQuery(url.searchParams, paginated);
  const { total, items } = await listGroupModels(getRuntime().db, { offset: q.offset, limit: q.limit });
  const visible = hasScope(actor.scopes, "read:groups") ? items : items.map((g) => ({ kind: g.kind, name: g.name }));
  if (!paginated) return Response.json(visible);
  // Next hands route handlers the path without its basePath (/hub)
  const path = url.pathname.startsWith("/hub/") ? url.pathname : `/hub${url.pathname}`;
  const next = nextPage({ origin: requestOrigin(req.headers), path, query: url.searchParams, offset: q.offset, limit: q.limit, total });
  return Response.json(
    { items: visible, _pagination: { offset: q.offset, limit: q.limit, total, next } },
    { headers: { "content-type": PAGINATION_MEDIA_TYPE } },
  );
});
