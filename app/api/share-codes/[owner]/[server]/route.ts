// /hub/api/share-codes/[owner]/[server] – codes that turn into a share of one server. GET lists
// (read:shares); POST issues one, shown once (shares); DELETE ?id=|?code= revokes one, or all.
// Only the owner or an admin.
import { route, readJson } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { issueShareCode, listShareCodes, revokeShareCodes } from "@/app/_lib/shares/share-codes";
import { actorOf, ownerServer, pagedResponse, pageOf, shareContext, ShareCodeBody } from "@/app/_lib/shares/share-api";

export const dynamic = "force-dynamic";
type P = { owner: string; server: string };

export const GET = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  const { owner, server } = ownerServer(await params);
  return pagedResponse(req, await listShareCodes(shareContext(), actor, owner, server, pageOf(req), new Date()));
});

export const POST = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  const { owner, server } = ownerServer(await params);
  const body = ShareCodeBody.parse(await readJson(req));
  return Response.json(await issueShareCode(shareContext(), actor, owner, server, { ...body, expires_in: body.expires_in ?? 0 }, new Date()));
});

export const DELETE = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  const { owner, server } = ownerServer(await params);
  const q = new URL(req.url).searchParams;
  await revokeShareCodes(shareContext(), actor, owner, server, { id: q.get("id"), code: q.get("code") });
  return new Response(null, { status: 204 });
});
