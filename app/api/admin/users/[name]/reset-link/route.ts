// POST /hub/api/admin/users/[name]/reset-link – a one-time link that sets a new password for the
// user (admin); shown once, valid for 24 hours, earlier links of the user stop working
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { createPasswordResetLink } from "@/app/_lib/auth/bootstrap";
import { getUserOrThrow } from "@/app/_lib/users/queries";
import { normalizeUsername } from "@/app/_lib/users/names";

export const dynamic = "force-dynamic";

export const POST = route<{ name: string }>(async (req, { params }) => {
  const actor = await requireAdmin(req);
  const { db, config, log } = getRuntime();
  const user = await getUserOrThrow(db, normalizeUsername((await params).name));
  const url = await createPasswordResetLink(db, config, user.name);
  log.info({ user: user.name, by: actor.user.name }, "password reset link created");
  return Response.json({ url }, { status: 201 });
});
