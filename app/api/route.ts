// GET /hub/api – JupyterHub's version answer, unauthenticated: clients read it first to pick the API
import { versionAnswer } from "@/app/_lib/hub/version";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  return Response.json(versionAnswer());
}
