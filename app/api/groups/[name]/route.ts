// GET /hub/api/groups/[name] – one group in JupyterHub's model (admin; tokens need read:groups);
// POST – create it, with members {users} (admin:groups; 409 when it exists); DELETE – delete it
// (delete:groups; a GitHub team's group only once it has no members).
import { getRuntime } from "@/app/_lib/runtime";
import { readJson, route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { createGroup, deleteGroup, getGroupModel } from "@/app/_lib/groups/groups";
import { pushGroupAccess } from "@/app/_lib/auth/role-access";
import { parseCreateGroupBody } from "@/app/_lib/groups/rest-group-body";

export const dynamic = "force-dynamic";
type P = { name: string };

export const GET = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  return Response.json(await getGroupModel(getRuntime().db, (await params).name, getRuntime().config.roles));
});

export const POST = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  const { users } = parseCreateGroupBody(await readJson(req));
  const { db } = getRuntime();
  const g = await createGroup(db, (await params).name, { members: users, unknownUserStatus: 400 });
  return Response.json(await getGroupModel(db, g.name, getRuntime().config.roles), { status: 201 });
});

export const DELETE = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  await deleteGroup(getRuntime().db, (await params).name);
  // the group's shares went with it, and what its roles gave its members
  await pushGroupAccess(getRuntime());
  return new Response(null, { status: 204 });
});
