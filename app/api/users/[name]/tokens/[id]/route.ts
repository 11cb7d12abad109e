// GET /hub/api/users/[name]/tokens/[id] – one token's model; DELETE – revoke it
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireSelfOrAdmin } from "@/app/_lib/auth/request-auth";
import { getTokenOf, revokeTokenOf } from "@/app/_lib/auth/token-service";
import { normalizeUsername } from "@/app/_lib/users/names";

export const dynamic = "force-dynamic";
type P = { name: string; id: string };

export const GET = route<P>(async (req, { params }) => {
  const { name, id } = await params;
  await requireSelfOrAdmin(req, normalizeUsername(name));
  return Response.json(await getTokenOf(getRuntime().db, normalizeUsername(name), id, new Date()));
});

export const DELETE = route<P>(async (req, { params }) => {
  const { name, id } = await params;
  await requireSelfOrAdmin(req, normalizeUsername(name));
  const { db, proxy } = getRuntime();
  await revokeTokenOf(db, proxy, normalizeUsername(name), id, new Date());
  return new Response(null, { status: 204 });
});
