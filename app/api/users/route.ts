// GET /hub/api/users – list users (admin), JupyterHub pagination; POST – create users (admin)
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { listUserModels } from "@/app/_lib/users/queries";
import { serverDescriber } from "@/app/_lib/servers/details";
import { createUsers } from "@/app/_lib/users/admin";
import { HttpError } from "@/app/_lib/http/errors";

export const dynamic = "force-dynamic";
const PAGINATION = "application/jupyterhub-pagination+json";

export const GET = route(async (req) => {
  await requireAdmin(req);
  const { db, config } = getRuntime();
  const url = new URL(req.url);
  const paginated = (req.headers.get("accept") ?? "").includes(PAGINATION);
  const state = url.searchParams.get("state") ?? undefined;
  if (state && !["ready", "active", "inactive"].includes(state)) throw new HttpError(400, `Invalid state "${state}": use ready, active or inactive.`);
  const offset = Math.max(0, Number(url.searchParams.get("offset") ?? 0) || 0);
  const limit = Math.min(200, Math.max(1, Number(url.searchParams.get("limit") ?? (paginated ? 50 : 200)) || 50));
  const { total, items } = await listUserModels(db, { state: state as "ready" | undefined, offset, limit, describe: serverDescriber(getRuntime().catalog) });
  if (!paginated) return Response.json(items);
  const nextOffset = offset + limit;
  const next = nextOffset < total ? { offset: nextOffset, limit, url: nextUrl(config.hub.publicUrl, url, nextOffset, limit) } : null;
  return Response.json({ items, _pagination: { offset, limit, total, next } }, { headers: { "content-type": PAGINATION } });
});

function nextUrl(publicUrl: string, url: URL, offset: number, limit: number): string {
  const q = new URLSearchParams(url.searchParams);
  q.set("offset", String(offset));
  q.set("limit", String(limit));
  return `${publicUrl}/hub/api/users?${q}`;
}

const CreateUsers = z.object({ usernames: z.array(z.string()).min(1).max(1000), admin: z.boolean().default(false) }).strict();

export const POST = route(async (req) => {
  await requireAdmin(req);
  const body = CreateUsers.parse(await readJson(req));
  const created = await createUsers(getRuntime().db, body.usernames, { admin: body.admin });
  return Response.json(created, { status: 201 });
});
