// POST /hub/api/users/[name]/servers/[server] – start a named server; DELETE – stop it
import { route } from "@/app/_lib/http/route";
import { startServerRoute, stopServerRoute } from "@/app/_lib/servers/api";

export const dynamic = "force-dynamic";
type P = { name: string; server: string };

export const POST = route<P>(async (req, { params }) => {
  const p = await params;
  return startServerRoute(req, p.name, p.server);
});
export const DELETE = route<P>(async (req, { params }) => {
  const p = await params;
  return stopServerRoute(req, p.name, p.server);
});
