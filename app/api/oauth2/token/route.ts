// POST /hub/api/oauth2/token – the OAuth provider's token endpoint (JupyterHub's): exchanges an
// authorization code for an access token; the client authenticates with its secret (a service's
// API token, a server's JUPYTERHUB_API_TOKEN). Errors are RFC 6749's JSON ({error, error_description}).
import { getRuntime } from "@/app/_lib/runtime";
import { readForm } from "@/app/_lib/http/route";
import { errorToJson } from "@/app/_lib/http/errors";
import { servicesOf } from "@/app/_lib/services/registry";
import { exchangeCode, OAuthError } from "@/app/_lib/oauth/provider";

export const dynamic = "force-dynamic";

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

export async function POST(req: Request): Promise<Response> {
  const { db, config, log } = getRuntime();
  try {
    const form = await readForm(req);
    const answer = await exchangeCode(db, servicesOf(config), {
      form,
      authorization: req.headers.get("authorization"),
      now: new Date(),
      tokenLifetimeSeconds: config.auth.sessionMaxAgeSeconds,
      secretKey: config.hub.secretKey,
    });
    return Response.json(answer, { headers: NO_STORE });
  } catch (err) {
    if (err instanceof OAuthError) return Response.json({ error: err.error, error_description: err.message }, { status: err.status, headers: NO_STORE });
    const { status, body } = errorToJson(err, log);
    return Response.json(body, { status, headers: NO_STORE });
  }
}
