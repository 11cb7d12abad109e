// POST /hub/api/admin/groups/[name]/members – add users {users: [...]} (admin); DELETE – remove them
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { addMembers, getGroup, removeMembers } from "@/app/_lib/groups/groups";
import { NAME_MAX_LENGTH, normalizeUsername } from "@/app/_lib/users/names";
import { pushGroupAccess } from "@/app/_lib/auth/role-access";

export const dynamic = "force-dynamic";
type P = { name: string };
const Members = z.object({ users: z.array(z.string().min(1).max(NAME_MAX_LENGTH)).min(1).max(1000) }).strict();

export const POST = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  const { users } = Members.parse(await readJson(req));
  const name = (await params).name;
  const { db } = getRuntime();
  const added = await addMembers(db, name, users.map(normalizeUsername));
  // group shares and roles follow the members: every proxy hears of it at once
  if (added) await pushGroupAccess(getRuntime());
  return Response.json({ added, group: await getGroup(db, name) });
});

export const DELETE = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  const { users } = Members.parse(await readJson(req));
  const name = (await params).name;
  const { db } = getRuntime();
  const removed = await removeMembers(db, name, users.map(normalizeUsername));
  if (removed) await pushGroupAccess(getRuntime());
  return Response.json({ removed, group: await getGroup(db, name) });
});
