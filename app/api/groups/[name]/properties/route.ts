// PUT /hub/api/groups/[name]/properties – replace the group's properties with the body, a JSON
// object (JupyterHub's `groups` scope, or `groups!group=<name>`). GitHub teams' groups too: their
// properties are the hub's. Answers the group's model.
import { getRuntime } from "@/app/_lib/runtime";
import { readJson, route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { getGroupModel, setGroupProperties } from "@/app/_lib/groups/groups";

export const dynamic = "force-dynamic";
type P = { name: string };

export const PUT = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  const name = (await params).name;
  const { db } = getRuntime();
  await setGroupProperties(db, name, await readJson(req));
  return Response.json(await getGroupModel(db, name, getRuntime().config.roles));
});
