// GET /hub/api/users/[name]/tokens – list a user's API tokens; POST – create one (shown once)
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readJson } from "@/app/_lib/http/route";
import { requireSelfOrAdmin, requireUser } from "@/app/_lib/auth/request-auth";
import { createTokenFor, listTokensOf } from "@/app/_lib/auth/token-service";
import { normalizeUsername } from "@/app/_lib/users/names";

export const dynamic = "force-dynamic";
type P = { name: string };

export const GET = route<P>(async (req, { params }) => {
  const name = normalizeUsername((await params).name);
  await requireSelfOrAdmin(req, name);
  // JupyterHub's {api_tokens, oauth_tokens}: tokens the OAuth provider issued to services are apart
  const tokens = await listTokensOf(getRuntime().db, name, new Date());
  return Response.json({ api_tokens: tokens.filter((t) => !t.oauth_client), oauth_tokens: tokens.filter((t) => t.oauth_client) });
});

const Create = z
  .object({
    note: z.string().max(200).optional(),
    expires_in: z.number().int().nonnegative().nullable().optional(),
    // "access:servers!server=<user>/<server>" with two 255-character names
    scopes: z.array(z.string().max(600)).max(50).optional(),
    roles: z.array(z.string().max(64)).max(20).optional(),
  })
  .strict();

export const POST = route<P>(async (req, { params }) => {
  const name = normalizeUsername((await params).name);
  const actor = await requireUser(req);
  const body = Create.parse(await readJson(req));
  return Response.json(await createTokenFor(getRuntime().db, actor, name, body, new Date(), getRuntime().config.roles), { status: 201 });
});
