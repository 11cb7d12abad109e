// PATCH /hub/api/admin/users/[name] – the control panel's edit of a user (admin): rename, admin
// flag, block/unblock, named-server limit
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { editUser, userEditSchema } from "@/app/_lib/users/admin";
import { normalizeUsername } from "@/app/_lib/users/names";

export const dynamic = "force-dynamic";

export const PATCH = route<{ name: string }>(async (req, { params }) => {
  const actor = await requireAdmin(req);
  const edit = userEditSchema.parse(await readJson(req));
  const name = await editUser(getRuntime(), normalizeUsername((await params).name), edit, actor.user.name, new Date());
  return Response.json({ name });
});
