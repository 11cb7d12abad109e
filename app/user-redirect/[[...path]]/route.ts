// GET /hub/user-redirect/<path> – shareable links: send the signed-in user to /user/<them>/<path>,
// on their own origin; git-pull links (nbgitpuller's /hub/user-redirect/git-pull?repo=…) go to the
// hub's own git-pull page when launch links are enabled
import { userOrigin } from "@/proxy/origins/origin-plan";
import { getRuntime } from "@/app/_lib/runtime";
import { readRequestSession } from "@/app/_lib/auth/sessions";

export const dynamic = "force-dynamic";

export async function GET(req: Request, { params }: { params: Promise<{ path?: string[] }> }): Promise<Response> {
  const { db, keys, config, origins } = getRuntime();
  const url = new URL(req.url);
  const rest = ((await params).path ?? []).map(encodeURIComponent).join("/");
  const session = await readRequestSession(db, req.headers.get("cookie"), keys.sessionCookie, new Date(), origins.scheme === "https:");
  if (rest === "git-pull" && config.launch.enabled) return Response.redirect(`${config.hub.publicUrl}/hub/git-pull${url.search}`, 302);
  if (!session) {
    const next = `/hub/user-redirect/${rest}${url.search}`;
    return Response.redirect(`${config.hub.publicUrl}/hub/login?next=${encodeURIComponent(next)}`, 302);
  }
  return Response.redirect(`${userOrigin(origins, session.user.name)}/user/${session.user.name}/${rest}${url.search}`, 302);
}
