// POST /hub/api/batch/callback – a batch job reports where its server listens (per-spawn secret)
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { HttpError } from "@/app/_lib/http/errors";
import { acceptBatchCallback } from "@/app/_lib/servers/batch-callback";

export const dynamic = "force-dynamic";

export const POST = route(async (req) => {
  if (Number(req.headers.get("content-length") ?? 0) > 4096) throw new HttpError(413, "too large");
  const { db, bus } = getRuntime();
  const { status, message } = await acceptBatchCallback(db, bus, req.headers.get("authorization") ?? undefined, await readJson(req));
  return Response.json({ status, message }, { status });
});
