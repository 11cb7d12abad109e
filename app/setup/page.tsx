// /hub/setup – first-run creation of the admin account, from the one-time link in the hub's log.
import type { Metadata } from "next";
import { getRuntime } from "../_lib/runtime";
import { USERNAME_RULE } from "../_lib/users";
import { PageFrame } from "../_components/page-frame";
import { Card, Notice, buttonClass, inputClass, labelClass } from "../_components/ui";
import { firstParam, type SearchParams } from "../_components/search-params";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Set up" };

function errorText(code: string, minLength: number): string | null {
  switch (code) {
    case "":
      return null;
    case "expired":
      return "This setup link is invalid or has expired. Restart the hub to print a new one in its log.";
    case "done":
      return "Setup is already complete: an admin account exists. Sign in instead.";
    case "bad-name":
      return `That is not a valid user name: use ${USERNAME_RULE}.`;
    case "short-password":
      return `The password is too short: use at least ${minLength} characters.`;
    case "mismatch":
      return "The two passwords do not match.";
    default:
      return "Setup failed; please try again.";
  }
}

export default async function SetupPage({ searchParams }: { searchParams: SearchParams }) {
  const q = await searchParams;
  const token = firstParam(q.token);
  const code = firstParam(q.error);
  const minLength = getRuntime().config.auth.local.minPasswordLength;
  const error = errorText(code, minLength);
  return (
    <PageFrame narrow>
      <Card>
        <h1 className="text-xl font-semibold">Set up Gyre</h1>
        <p className="mt-2 text-sm text-slate-600">Create the first admin account. You can add other users from the admin page afterwards.</p>
        {error && (
          <div className="mt-4">
            <Notice kind="error" testId="setup-error">
              {error}
              {code === "done" && (
                <>
                  {" "}
                  <a href="/hub/login" className="font-medium underline">
                    Go to sign in
                  </a>
                </>
              )}
            </Notice>
          </div>
        )}
        {!token ? (
          <div className="mt-4">
            <Notice kind="info">This page needs the one-time setup link that the hub prints in its log at first start.</Notice>
          </div>
        ) : (
          <form method="post" action="/hub/setup" className="mt-6 space-y-4">
            <input type="hidden" name="token" value={token} />
            <div>
              <label htmlFor="username" className={labelClass}>
                Admin user name
              </label>
              <input id="username" name="username" type="text" required autoComplete="username" autoCapitalize="none" spellCheck={false} autoFocus className={inputClass} aria-describedby="username-rule" />
              <p id="username-rule" className="mt-1 text-xs text-slate-500">
                Use {USERNAME_RULE}.
              </p>
            </div>
            <div>
              <label htmlFor="password" className={labelClass}>
                Password
              </label>
              <input id="password" name="password" type="password" required minLength={minLength} autoComplete="new-password" className={inputClass} aria-describedby="password-rule" />
              <p id="password-rule" className="mt-1 text-xs text-slate-500">
                At least {minLength} characters.
              </p>
            </div>
            <div>
              <label htmlFor="password2" className={labelClass}>
                Repeat the password
              </label>
              <input id="password2" name="password2" type="password" required minLength={minLength} autoComplete="new-password" className={inputClass} />
            </div>
            <button type="submit" data-testid="setup-submit" className={`${buttonClass.primary} w-full`}>
              Create admin account
            </button>
          </form>
        )}
      </Card>
    </PageFrame>
  );
}
