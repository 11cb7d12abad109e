// POST /hub/api/proxy/activity – per-route last activity reported by a proxy
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireProxy } from "@/app/_lib/auth/request-auth";
import { recordActivity } from "@/app/_lib/proxy-state";

export const dynamic = "force-dynamic";
const Report = z.record(z.string(), z.string());

export const POST = route(async (req) => {
  requireProxy(req);
  await recordActivity(getRuntime().db, Report.parse(await readJson(req)));
  return new Response(null, { status: 204 });
});
