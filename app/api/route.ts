// GET /hub/api – version (JupyterHub clients read it first)
import pkg from "@/package.json";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  return Response.json({ version: pkg.version, gyre: true });
}
