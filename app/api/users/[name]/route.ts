// GET /hub/api/users/[name] – a user model; POST – create (admin); PATCH – change (admin); DELETE – delete (admin)
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireAdmin, requireSelfOrAdmin } from "@/app/_lib/auth/request-auth";
import { getUserModel } from "@/app/_lib/users/queries";
import { serverDescriber } from "@/app/_lib/servers/details";
import { createUsers, deleteUser, updateUser } from "@/app/_lib/users/admin";
import { normalizeUsername } from "@/app/_lib/users/names";
import { filterUserModel } from "@/app/_lib/users/models";
import { flagParam } from "@/app/_lib/http/list-query";

export const dynamic = "force-dynamic";
type P = { name: string };

export const GET = route<P>(async (req, { params }) => {
  const name = normalizeUsername((await params).name);
  const actor = await requireSelfOrAdmin(req, name);
  const { db, config, catalog, origins } = getRuntime();
  const allServers = flagParam(new URL(req.url).searchParams, "include_stopped_servers");
  const model = await getUserModel(db, name, { allServers, publicUrl: config.hub.publicUrl, origins, describe: serverDescriber(catalog) });
  // a token sees the fields its scopes cover (requiredScopes let only reading scopes in)
  return Response.json(filterUserModel(model, actor.scopes) ?? { kind: "user", name });
});

const Create = z.object({ admin: z.boolean().default(false), password: z.string().optional() }).strict();

export const POST = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  const body = Create.parse(await readJson(req));
  const [user] = await createUsers(getRuntime().db, [(await params).name], body);
  return Response.json(user, { status: 201 });
});

const Patch = z.object({ admin: z.boolean().optional(), password: z.string().optional() }).strict();

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
