// POST /hub/api/launches – start a launch link for the caller: {link: "<provider>/<spec>", query: "urlpath=…"}
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireUser } from "@/app/_lib/auth/request-auth";
import { startLaunchForRequest } from "@/app/_lib/launch/launch-routes";

export const dynamic = "force-dynamic";

const body = z.object({
  link: z.string().min(1).max(2000).describe("the link's path after /v2/, still %-escaped"),
  query: z.string().max(4000).default("").describe("the link's query string (urlpath, labpath, filepath)"),
});

export const POST = route(async (req) => {
  const principal = await requireUser(req);
  const { link, query } = body.parse(await readJson(req));
  const started = await startLaunchForRequest(getRuntime(), principal.user, link, new URLSearchParams(query));
  return Response.json(started, { status: started.state === "running" ? 200 : 202 });
});
