// GET /hub/api/metrics – the same as GET /hub/metrics (JupyterHub serves its metrics at both paths).
// `dynamic` is written here, not re-exported: Next reads a route's segment config statically.
export { GET } from "@/app/metrics/route";

export const dynamic = "force-dynamic";
