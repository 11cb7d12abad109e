// /hub/api/users/[name]/shared/[owner]/[server] – the user's share of one server: GET
// (read:users:shares), DELETE leaves it (users:shares). The user or an admin.
import { route } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { normalizeUsername } from "@/app/_lib/users/names";
import { getUserShared, leaveUserShare } from "@/app/_lib/shares/shares";
import { actorOf, ownerServer, shareContext } from "@/app/_lib/shares/share-api";

export const dynamic = "force-dynamic";
type P = { name: string; owner: string; server: string };

export const GET = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  const p = await params;
  const { owner, server } = ownerServer(p);
  return Response.json(await getUserShared(shareContext(), actor, normalizeUsername(p.name), owner, server));
});

export const DELETE = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  const p = await params;
  const { owner, server } = ownerServer(p);
  await leaveUserShare(shareContext(), actor, normalizeUsername(p.name), owner, server);
  return new Response(null, { status: 204 });
});
