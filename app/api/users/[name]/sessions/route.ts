// DELETE /hub/api/users/[name]/sessions – revoke all of a user's sessions (admin); pushed to every proxy at once
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { revokeSessionsOf } from "@/app/_lib/auth/token-service";
import { normalizeUsername } from "@/app/_lib/users/names";

export const dynamic = "force-dynamic";
type P = { name: string };

export const DELETE = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  const { db, proxy } = getRuntime();
  const revoked = await revokeSessionsOf(db, proxy, normalizeUsername((await params).name), new Date());
  return Response.json({ revoked });
});
