// GET /hub/api/admin/groups/[name] – a group with its members (admin); PATCH – rename {name}
// and/or replace its properties {properties}; DELETE – delete it
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireAdmin } from "@/app/_lib/auth/request-auth";
import { deleteGroup, getGroup, renameGroup, setGroupProperties } from "@/app/_lib/groups/groups";
import { pushGroupAccess } from "@/app/_lib/auth/role-access";

export const dynamic = "force-dynamic";
type P = { name: string };

export const GET = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  return Response.json(await getGroup(getRuntime().db, (await params).name));
});

const Patch = z.object({ name: z.string().optional(), properties: z.unknown().optional() }).strict();

export const PATCH = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  const body = Patch.parse(await readJson(req));
  const { db } = getRuntime();
  let name = (await params).name;
  if (body.properties !== undefined) await setGroupProperties(db, name, body.properties);
  if (body.name !== undefined) {
    name = (await renameGroup(db, name, body.name)).name;
    // roles name groups: the members of the old name lose what those roles gave them
    await pushGroupAccess(getRuntime());
  }
  return Response.json(await getGroup(db, name));
});

export const DELETE = route<P>(async (req, { params }) => {
  await requireAdmin(req);
  await deleteGroup(getRuntime().db, (await params).name);
  // the group's shares went with it, and what its roles gave its members
  await pushGroupAccess(getRuntime());
  return new Response(null, { status: 204 });
});
