// /hub/account – the signed-in user's account: change the password (the current one is required;
// every other session of the account ends).
import type { Metadata } from "next";
import { requireCurrentUser } from "../_lib/auth/current-user";
import { getRuntime } from "../_lib/runtime";
import { PageFrame } from "../_components/page-frame";
import { Card } from "../_components/ui";
import { PasswordForm } from "./password-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Account" };

export default async function AccountPage() {
  const user = await requireCurrentUser("/account");
  const { db, config } = getRuntime();
  const row = await db.user.findUniqueOrThrow({ where: { id: user.id }, select: { passwordHash: true, authSource: true } });
  return (
    <PageFrame user={user}>
      <Card>
        <h1 className="text-xl font-semibold">Your account</h1>
        <p className="mt-1 text-sm text-slate-600">Signed in as {user.name}.</p>
        {row.passwordHash ? (
          <PasswordForm csrf={user.csrfToken} minLength={config.auth.local.minPasswordLength} />
        ) : (
          <p className="mt-4 text-sm text-slate-700" data-testid="no-password">
            You sign in {row.authSource === "github" ? "with GitHub" : "without a password"}, so there is no password to change here.
          </p>
        )}
      </Card>
    </PageFrame>
  );
}
