// /hub/api/shares/[owner]/[server] – who may use one server ("_default_": the default server).
// GET lists (read:shares); POST grants a user or group access, PATCH revokes it, DELETE revokes
// every share (shares). Only the owner or an admin.
import { route, readJson } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { grantShare, listServerShares, revokeAllShares, revokeShare } from "@/app/_lib/shares/shares";
import { actorOf, ownerServer, pagedResponse, pageOf, shareContext, ShareBody } from "@/app/_lib/shares/share-api";

export const dynamic = "force-dynamic";
type P = { owner: string; server: string };

export const GET = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  const { owner, server } = ownerServer(await params);
  return pagedResponse(req, await listServerShares(shareContext(), actor, owner, server, pageOf(req)));
});

export const POST = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  const { owner, server } = ownerServer(await params);
  const body = ShareBody.parse(await readJson(req));
  return Response.json(await grantShare(shareContext(), actor, owner, server, body));
});

export const PATCH = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  const { owner, server } = ownerServer(await params);
  const body = ShareBody.parse(await readJson(req));
  return Response.json(await revokeShare(shareContext(), actor, owner, server, body));
});

export const DELETE = route<P>(async (req, { params }) => {
  const actor = actorOf(await requireUser(req));
  const { owner, server } = ownerServer(await params);
  await revokeAllShares(shareContext(), actor, owner, server);
  return new Response(null, { status: 204 });
});
