// GET /hub/api/users/[name]/servers/[server]/progress – spawn progress of a named server (event stream)
import { route } from "@/app/_lib/http/route";
import { progressRoute } from "@/app/_lib/servers/api";

export const dynamic = "force-dynamic";

export const GET = route<{ name: string; server: string }>(async (req, { params }) => {
  const p = await params;
  return progressRoute(req, p.name, p.server);
});
