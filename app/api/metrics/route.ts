// GET /hub/api/metrics – the same as GET /hub/metrics (JupyterHub serves its metrics at both paths).
export { GET, dynamic } from "@/app/metrics/route";
