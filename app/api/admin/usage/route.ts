// GET /hub/api/admin/usage – usage over a period (admin): ?from=YYYY-MM-DD&to=YYYY-MM-DD (UTC days,
// default the last 30), &group=…; JSON totals per user, or ?format=csv for one line per run
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { HttpError } from "@/app/_lib/http/errors";
import { dailySeries, resolvePeriod, totalsBy, usageCsv, usagePeriodSchema } from "@/app/_lib/usage/aggregate";
import { readUsageRows } from "@/app/_lib/usage/report";

export const dynamic = "force-dynamic";

const Query = usagePeriodSchema.extend({ format: z.enum(["json", "csv"]).default("json"), group: z.string().max(128).optional() }).strict();

export const GET = route(async (req) => {
  await requireAdmin(req);
  const q = Query.parse(Object.fromEntries(new URL(req.url).searchParams));
  const { db } = getRuntime();
  const now = new Date();
  const period = resolvePeriod(q, now);
  let groupId: number | undefined;
  if (q.group) {
    const g = await db.group.findUnique({ where: { name: q.group }, select: { id: true } });
    if (!g) throw new HttpError(404, `No such group: ${q.group}`);
    groupId = g.id;
  }
  const rows = await readUsageRows(db, period, { groupId });
  if (q.format === "csv") {
    return new Response(usageCsv(rows, period, now), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="gyre-usage-${period.fromDay}-to-${period.toDay}.csv"`,
      },
    });
  }
  return Response.json({
    from: period.fromDay,
    to: period.toDay,
    users: totalsBy(rows, period, now, (r) => r.userName),
    daily: dailySeries(rows, period, now),
  });
});
