// GET /hub/api/users – list users (admin): JupyterHub's state filter, sort, include_stopped_servers
// and offset/limit pagination; POST – create users (admin)
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { createUsers } from "@/app/_lib/users/admin";
import { listUsersResponse } from "@/app/_lib/users/rest-reads";

export const dynamic = "force-dynamic";

export const GET = route(listUsersResponse);

const CreateUsers = z.object({ usernames: z.array(z.string()).min(1).max(1000), admin: z.boolean().default(false) }).strict();

export const POST = route(async (req) => {
  await requireAdmin(req);
  const body = CreateUsers.parse(await readJson(req));
  const created = await createUsers(getRuntime().db, body.usernames, { admin: body.admin });
  return Response.json(created, { status: 201 });
});
