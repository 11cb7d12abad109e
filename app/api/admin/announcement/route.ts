// PUT /hub/api/admin/announcement – set the banner every page shows {text, expiresAt?} (admin);
// DELETE – remove it; GET – the current one (null when none)
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { announcementSchema, clearAnnouncement, readAnnouncement, setAnnouncement } from "@/app/_lib/announcement";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  await requireAdmin(req);
  return Response.json(await readAnnouncement(getRuntime().db, new Date()));
});

export const PUT = route(async (req) => {
  const actor = await requireAdmin(req);
  const input = announcementSchema.parse(await readJson(req));
  return Response.json(await setAnnouncement(getRuntime().db, input, actor.user.name, new Date()));
});

export const DELETE = route(async (req) => {
  await requireAdmin(req);
  await clearAnnouncement(getRuntime().db);
  return new Response(null, { status: 204 });
});
