// GET /hub/api/groups/[name]/shared – servers shared with a group (its members or an admin; read:groups:shares)
import { route } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { listGroupShared } from "@/app/_lib/shares/shares";
import { actorOf, pagedResponse, pageOf, shareContext } from "@/app/_lib/shares/share-api";

export const dynamic = "force-dynamic";
type P = { name: string };

export const GET = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  return pagedResponse(req, await listGroupShared(shareContext(), actor, (await params).name, pageOf(req)));
});
