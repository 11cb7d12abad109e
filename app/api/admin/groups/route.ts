// GET /hub/api/admin/groups – every group with its source and member count (admin);
// POST – create a group {name, properties?, members?}
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { createGroup, listGroups } from "@/app/_lib/groups/groups";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  await requireAdmin(req);
  return Response.json(await listGroups(getRuntime().db));
});

const Create = z.object({ name: z.string(), properties: z.unknown().optional(), members: z.array(z.string()).max(1000).optional() }).strict();

export const POST = route(async (req) => {
  await requireAdmin(req);
  const body = Create.parse(await readJson(req));
  return Response.json(await createGroup(getRuntime().db, body.name, body), { status: 201 });
});
