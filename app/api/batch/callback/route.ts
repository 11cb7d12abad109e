// POST /hub/api/batch/callback – a batch job reports where its server listens (per-spawn secret)
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { acceptBatchCallback } from "@/app/_lib/servers/batch-callback";

export const dynamic = "force-dynamic";
/** A callback body is a spawn id, a host and a port. */
const MAX_CALLBACK_BODY_BYTES = 4096;

export const POST = route(async (req) => {
  const { db, bus } = getRuntime();
  const readBody = () => readJson(req, { maxBytes: MAX_CALLBACK_BODY_BYTES });
  const { status, message } = await acceptBatchCallback(db, bus, req.headers.get("authorization") ?? undefined, readBody);
  return Response.json({ status, message }, { status });
});
