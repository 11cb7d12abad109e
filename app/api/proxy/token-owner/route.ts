// GET /hub/api/proxy/token-owner – who owns the API token in X-Gyre-Token, a user or a service (404 if none)
import { getRuntime } from "@/app/_lib/runtime";
import { route } from "@/app/_lib/http/route";
import { requireProxy } from "@/app/_lib/auth/request-auth";
import { lookupTokenOwner } from "@/app/_lib/proxy-state";
import { servicesOf } from "@/app/_lib/services/registry";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  requireProxy(req);
  const { db, config } = getRuntime();
  const owner = await lookupTokenOwner(db, req.headers.get("x-gyre-token") ?? "", new Date(), servicesOf(config));
  return owner ? Response.json(owner) : Response.json({ status: 404, message: "Unknown, expired or revoked token." }, { status: 404 });
});
