// POST /hub/api/groups/[name]/users – add members {users}; DELETE – remove them (JupyterHub's
// `groups` scope, or `groups!group=<name>`). Answers the group's model. A GitHub team's group
// refuses both (400): its members are the team's, set again at each member's login.
import { getRuntime } from "@/app/_lib/runtime";
import { readJson, route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { addMembers, getGroupModel, removeMembers } from "@/app/_lib/groups/groups";
import { parseGroupUsersBody } from "@/app/_lib/groups/rest-group-body";
import { pushGroupAccess } from "@/app/_lib/auth/role-access";

export const dynamic = "force-dynamic";
type P = { name: string };

export const POST = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  const name = (await params).name;
  const { db } = getRuntime();
  // group shares and roles follow the members: every proxy hears of it at once
  if (await addMembers(db, name, parseGroupUsersBody(await readJson(req), "add"), { unknownUserStatus: 400 })) await pushGroupAccess(getRuntime());
  return Response.json(await getGroupModel(db, name, getRuntime().config.roles));
});

export const DELETE = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  const name = (await params).name;
  const { db } = getRuntime();
  if (await removeMembers(db, name, parseGroupUsersBody(await readJson(req), "delete"), { unknownUserStatus: 400 })) await pushGroupAccess(getRuntime());
  return Response.json(await getGroupModel(db, name, getRuntime().config.roles));
});
