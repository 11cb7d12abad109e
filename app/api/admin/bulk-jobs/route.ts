// POST /hub/api/admin/bulk-jobs – act on many users in the background (admin); 202 with the job.
// GET – the most recent bulk actions.
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { bulkRequestSchema } from "@/app/_lib/bulk/actions";
import { createBulkJob, listBulkJobs } from "@/app/_lib/bulk/jobs";

export const dynamic = "force-dynamic";

export const POST = route(async (req) => {
  const actor = await requireAdmin(req);
  const request = bulkRequestSchema.parse(await readJson(req));
  const job = await createBulkJob(getRuntime(), actor.user.name, request);
  return Response.json(job, { status: 202 });
});

export const GET = route(async (req) => {
  await requireAdmin(req);
  return Response.json(await listBulkJobs(getRuntime().db));
});
