// GET /hub/api/groups/[name] – one group in JupyterHub's model (admin; tokens need read:groups)
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { getGroupModel } from "@/app/_lib/groups/groups";

export const dynamic = "force-dynamic";
type P = { name: string };

export const GET = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  return Response.json(await getGroupModel(getRuntime().db, (await params).name));
});
