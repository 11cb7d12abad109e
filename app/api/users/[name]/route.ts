// GET /hub/api/users/[name] – a user model; POST – create (admin); PATCH – change (admin); DELETE – delete (admin)
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { createUsers, deleteUser, updateUser } from "@/app/_lib/users/admin";
import { normalizeUsername } from "@/app/_lib/users/names";
import { userResponse } from "@/app/_lib/users/rest-reads";

export const dynamic = "force-dynamic";
type P = { name: string };

export const GET = route<P>(async (req, { params }) => userResponse(req, (await params).name));

const Create = z.object({ admin: z.boolean().default(false), password: z.string().optional() }).strict();

export const POST = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  const body = Create.parse(await readJson(req));
  const [user] = await createUsers(getRuntime().db, [(await params).name], body);
  return Response.json(user, { status: 201 });
});

// JupyterHub's user model fields an admin may change: `name` renames the user
const Patch = z.object({ name: z.string().optional(), admin: z.boolean().optional(), password: z.string().optional() }).strict();

export const PATCH = route<P>(async (req, { params }) => {
  const actor = await requireAdmin(req);
  const body = Patch.parse(await readJson(req));
  const who = { name: actor.user.name, sessionId: actor.sessionId };
  return Response.json(await updateUser(getRuntime().db, normalizeUsername((await params).name), body, who));
});

export const DELETE = route<P>(async (req, { params }) => {
  const actor = await requireAdmin(req);
  const outcome = await deleteUser(getRuntime().db, normalizeUsername((await params).name), actor.user.name);
  if (outcome === "stopping")
    return Response.json({ status: 400, message: "The user's servers are stopping; delete again once they have stopped." }, { status: 400 });
  return new Response(null, { status: 204 });
});
