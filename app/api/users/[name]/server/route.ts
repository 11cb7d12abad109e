// POST /hub/api/users/[name]/server – start the default server; DELETE – stop it
import { route } from "@/app/_lib/http/route";
import { startServerRoute, stopServerRoute } from "@/app/_lib/servers/api";

export const dynamic = "force-dynamic";
type P = { name: string };

export const POST = route<P>(async (req, { params }) => startServerRoute(req, (await params).name, undefined));
export const DELETE = route<P>(async (req, { params }) => stopServerRoute(req, (await params).name, undefined));
