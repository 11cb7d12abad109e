// GET /hub/api/share-codes/[owner] – the unexpired share codes of all of owner's servers (owner or admin; read:shares)
import { route } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { normalizeUsername } from "@/app/_lib/users/names";
import { listShareCodes } from "@/app/_lib/shares/share-codes";
import { actorOf, pagedResponse, pageOf, shareContext } from "@/app/_lib/shares/share-api";

export const dynamic = "force-dynamic";
type P = { owner: string };

export const GET = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  return pagedResponse(req, await listShareCodes(shareContext(), actor, normalizeUsername((await params).owner), null, pageOf(req), new Date()));
});
