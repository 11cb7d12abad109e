// GET /hub/api/users/[name]/server/progress – spawn progress of the default server (event stream)
import { route } from "@/app/_lib/http/route";
import { progressRoute } from "@/app/_lib/servers/api";

export const dynamic = "force-dynamic";

export const GET = route<{ name: string }>(async (req, { params }) => progressRoute(req, (await params).name, undefined));
