// GET /hub/api/proxy/auth – admins, revoked sessions, shares and role access, polled by proxies every few seconds
// (also answered on the Express fast path, app/_lib/http/rest-fast-path.ts, from the same function)
import { route } from "@/app/_lib/http/route";
import { answerResponse } from "@/app/_lib/http/list-query";
import { authSnapshotAnswer } from "@/app/_lib/proxy-state";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => answerResponse(await authSnapshotAnswer(req)));
