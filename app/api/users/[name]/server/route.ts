// GET /hub/api/users/[name]/server – the default server's model (also …/servers/); POST – start it; DELETE – stop it
import { route } from "@/app/_lib/http/route";
import { serverModelRoute, startServerRoute, stopServerRoute } from "@/app/_lib/servers/api";

export const dynamic = "force-dynamic";
type P = { name: string };

export const GET = route<P>(async (req, { params }) => serverModelRoute(req, (await params).name, undefined));
export const POST = route<P>(async (req, { params }) => startServerRoute(req, (await params).name, undefined));
export const DELETE = route<P>(async (req, { params }) => stopServerRoute(req, (await params).name, undefined));
