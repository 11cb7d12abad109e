// /hub/token – personal API tokens: create (note, expiry, scopes; shown once), list with last use, revoke.
import type { Metadata } from "next";
import { requireCurrentUser } from "../_lib/auth/current-user";
import { getRuntime } from "../_lib/runtime";
import { listTokensOf } from "../_lib/auth/token-service";
import { ADMIN_ONLY_SCOPES, TOKEN_SCOPES } from "../_lib/auth/scopes";
import { PageFrame } from "../_components/page-frame";
import { TokenManager } from "./token-manager";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "API tokens" };

export default async function TokenPage() {
  const viewer = await requireCurrentUser("/token");
  const tokens = await listTokensOf(getRuntime().db, viewer.name, new Date());
  const scopes = Object.entries(TOKEN_SCOPES)
    .filter(([name]) => viewer.admin || !(ADMIN_ONLY_SCOPES as readonly string[]).includes(name))
    .map(([name, description]) => ({ name, description }));
  return (
    <PageFrame user={viewer}>
      <h1 className="text-xl font-semibold">API tokens</h1>
      <p className="mt-1 text-sm text-slate-600">
        Tokens let scripts use the hub&apos;s REST API (<code>Authorization: token …</code>) and reach your server through <code>/user/{viewer.name}/</code>. A
        token is shown once, when it is created; the hub keeps only its hash.
      </p>
      <div className="mt-6">
        <TokenManager user={viewer.name} csrf={viewer.csrfToken} tokens={tokens} scopes={scopes} />
      </div>
    </PageFrame>
  );
}
