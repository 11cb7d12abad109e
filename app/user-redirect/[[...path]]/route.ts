// GET /hub/user-redirect/<path> – shareable links: send the signed-in user to /user/<them>/<path>;
// git-pull links (nbgitpuller's /hub/user-redirect/git-pull?repo=…) go to the hub's own git-pull
// page when launch links are enabled
import { readCookie, SESSION_COOKIE } from "@/proxy/auth/session-cookie";
import { getRuntime } from "@/app/_lib/runtime";
import { readSession } from "@/app/_lib/auth/sessions";

export const dynamic = "force-dynamic";

export async function GET(req: Request, { params }: { params: Promise<{ path?: string[] }> }): Promise<Response> {
  const { db, keys, config } = getRuntime();
  const url = new URL(req.url);
  const rest = ((await params).path ?? []).map(encodeURIComponent).join("/");
  const session = await readSession(db, readCookie(req.headers.get("cookie") ?? undefined, SESSION_COOKIE), keys.sessionCookie, new Date());
  const base = config.hub.publicUrl;
  if (rest === "git-pull" && config.launch.enabled) return Response.redirect(`${base}/hub/git-pull${url.search}`, 302);
  if (!session) {
    const next = `/hub/user-redirect/${rest}${url.search}`;
    return Response.redirect(`${base}/hub/login?next=${encodeURIComponent(next)}`, 302);
  }
  return Response.redirect(`${base}/user/${session.user.name}/${rest}${url.search}`, 302);
}
