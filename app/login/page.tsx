// /hub/login – username + password form; the POST is handled by the Express side (auth-routes.ts).
import type { Metadata } from "next";
import { getCurrentUser } from "../_lib/auth/current-user";
import { USERNAME_RULE } from "../_lib/users";
import { PageFrame } from "../_components/page-frame";
import { Card, Notice, buttonClass, inputClass, labelClass } from "../_components/ui";
import { firstParam, type SearchParams } from "../_components/search-params";
import { redirectTo, safeNextPath } from "../_components/redirect-to";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

const ERRORS: Record<string, string> = {
  invalid: "Wrong user name or password.",
  "rate-limited": "Too many failed attempts; wait a few minutes.",
  "bad-name": `That is not a valid user name: use ${USERNAME_RULE}.`,
  "local-disabled": "Signing in with a password is turned off on this hub.",
};

export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
  const q = await searchParams;
  const next = safeNextPath(firstParam(q.next)) ?? "/hub/home";
  if (await getCurrentUser()) await redirectTo(next);
  const error = firstParam(q.error);
  const info = firstParam(q.info);
  return (
    <PageFrame narrow>
      <Card>
        <h1 className="text-xl font-semibold">Sign in to Gyre</h1>
        <div className="mt-4 space-y-3">
          {error && <Notice kind="error" testId="login-error">{ERRORS[error] ?? "Signing in failed; please try again."}</Notice>}
          {info === "logged-out" && <Notice kind="success" testId="login-info">You have been logged out.</Notice>}
        </div>
        <form method="post" action="/hub/login" className="mt-6 space-y-4">
          <input type="hidden" name="next" value={next} />
          <div>
            <label htmlFor="username" className={labelClass}>
              User name
            </label>
            <input id="username" name="username" type="text" required autoComplete="username" autoCapitalize="none" spellCheck={false} autoFocus defaultValue={firstParam(q.username)} className={inputClass} />
          </div>
          <div>
            <label htmlFor="password" className={labelClass}>
              Password
            </label>
            <input id="password" name="password" type="password" required autoComplete="current-password" className={inputClass} />
          </div>
          <button type="submit" data-testid="login-submit" className={`${buttonClass.primary} w-full`}>
            Sign in
          </button>
        </form>
        {/* Other sign-in methods (e.g. "Sign in with GitHub", issue 4) go below this line. */}
        <div data-testid="login-providers" className="mt-4 space-y-2 empty:hidden" />
      </Card>
    </PageFrame>
  );
}
