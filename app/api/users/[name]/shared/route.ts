// GET /hub/api/users/[name]/shared – servers shared with the user directly (the user or an admin; read:users:shares)
import { route } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { normalizeUsername } from "@/app/_lib/users/names";
import { listUserShared } from "@/app/_lib/shares/shares";
import { actorOf, pagedResponse, pageOf, shareContext } from "@/app/_lib/shares/share-api";

export const dynamic = "force-dynamic";
type P = { name: string };

export const GET = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  return pagedResponse(req, await listUserShared(shareContext(), actor, normalizeUsername((await params).name), pageOf(req)));
});
