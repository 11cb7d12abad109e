// GET /hub/api/users – list users (admin): JupyterHub's state filter, sort, include_stopped_servers
// and offset/limit pagination; POST – create users (admin)
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { listUserModels } from "@/app/_lib/users/queries";
import { serverDescriber } from "@/app/_lib/servers/details";
import { filterUserModel } from "@/app/_lib/users/models";
import { createUsers } from "@/app/_lib/users/admin";
import { nextPage, parseUserListQuery, PAGINATION_MEDIA_TYPE, requestOrigin } from "@/app/_lib/http/list-query";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const actor = await requireAdmin(req);
  const { db, config, catalog, origins } = getRuntime();
  const url = new URL(req.url);
  const paginated = (req.headers.get("accept") ?? "").includes(PAGINATION_MEDIA_TYPE);
  const q = parseUserListQuery(url.searchParams, paginated);
  const { total, items } = await listUserModels(db, {
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
});

const CreateUsers = z.object({ usernames: z.array(z.string()).min(1).max(1000), admin: z.boolean().default(false) }).strict();

export const POST = route(async (req) => {
  await requireAdmin(req);
  const body = CreateUsers.parse(await readJson(req));
  const created = await createUsers(getRuntime().db, body.usernames, { admin: body.admin });
  return Response.json(created, { status: 201 });
});
