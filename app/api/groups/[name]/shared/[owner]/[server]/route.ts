// /hub/api/groups/[name]/shared/[owner]/[server] – a group's share of one server: GET (members or
// an admin; read:groups:shares), DELETE ends it (admins; groups:shares).
import { route } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { getGroupShared, leaveGroupShare } from "@/app/_lib/shares/shares";
import { actorOf, ownerServer, shareContext } from "@/app/_lib/shares/share-api";

export const dynamic = "force-dynamic";
type P = { name: string; owner: string; server: string };

export const GET = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  const p = await params;
  const { owner, server } = ownerServer(p);
  return Response.json(await getGroupShared(shareContext(), actor, p.name, owner, server));
});

export const DELETE = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  const p = await params;
  const { owner, server } = ownerServer(p);
  await leaveGroupShare(shareContext(), actor, p.name, owner, server);
  return new Response(null, { status: 204 });
});
