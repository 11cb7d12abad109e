// GET /hub/api/admin/bulk-jobs/[id] – a bulk action's progress and per-user results (admin)
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { getBulkJob } from "@/app/_lib/bulk/jobs";

export const dynamic = "force-dynamic";

export const GET = route<{ id: string }>(async (req, { params }) => {
  await requireAdmin(req);
  const limit = Math.min(5000, Math.max(1, Number(new URL(req.url).searchParams.get("items") ?? 200) || 200));
  return Response.json(await getBulkJob(getRuntime().db, (await params).id, limit));
});
