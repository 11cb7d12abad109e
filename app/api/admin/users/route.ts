// GET /hub/api/admin/users – the control panel's users view as JSON (admin): the same query
// parameters as /hub/admin (q, match, state, admin, blocked, group, profile, sort, dir, page, size)
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { readUsersPage } from "@/app/_lib/users/directory";
import { parseUsersView } from "@/app/_lib/users/users-view";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  await requireAdmin(req);
  const { view } = parseUsersView(new URL(req.url).searchParams, { lenient: false });
  const page = await readUsersPage(getRuntime(), view);
  return Response.json({ view, total: page.total, unknownGroup: page.unknownGroup, users: page.users });
});
