// GET /hub/api/shares/[owner] – the shares of all of owner's servers (owner or admin; read:shares)
import { route } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { normalizeUsername } from "@/app/_lib/users/names";
import { listServerShares } from "@/app/_lib/shares/shares";
import { actorOf, pagedResponse, pageOf, shareContext } from "@/app/_lib/shares/share-api";

export const dynamic = "force-dynamic";
type P = { owner: string };

export const GET = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  return pagedResponse(req, await listServerShares(shareContext(), actor, normalizeUsername((await params).owner), null, pageOf(req)));
});
