// GET /hub/api/users/[name]/servers/[server] – a named server's model; POST – start it; DELETE – stop it
import { route } from "@/app/_lib/http/route";
import { serverModelRoute, startServerRoute, stopServerRoute } from "@/app/_lib/servers/api";

export const dynamic = "force-dynamic";
type P = { name: string; server: string };

export const GET = route<P>(async (req, { params }) => {
  const p = await params;
  return serverModelRoute(req, p.name, p.server);
});
export const POST = route<P>(async (req, { params }) => {
  const p = await params;
  return startServerRoute(req, p.name, p.server);
});
export const DELETE = route<P>(async (req, { params }) => {
  const p = await params;
  return stopServerRoute(req, p.name, p.server);
});
