// GET /hub/api/users/[name]/server/log – last log lines of the default server's failed spawn
// (?server=<name> for a named server); read by the spawn-pending page after a failure.
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireSelfOrAdmin } from "@/app/_lib/auth/request-auth";
import { normalizeUsername, validateServerName } from "@/app/_lib/users/names";
import { getUserOrThrow } from "@/app/_lib/users/queries";

export const dynamic = "force-dynamic";

export const GET = route<{ name: string }>(async (req, { params }) => {
  const name = normalizeUsername((await params).name);
  await requireSelfOrAdmin(req, name);
  const serverName = validateServerName(new URL(req.url).searchParams.get("server") ?? "");
  const { db } = getRuntime();
  const user = await getUserOrThrow(db, name);
  const server = await db.server.findUnique({ where: { userId_name: { userId: user.id, name: serverName } }, select: { logTail: true } });
  return Response.json({ log: server?.logTail ?? null });
});
