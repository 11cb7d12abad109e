// /hub/login – username + password form and "Sign in with GitHub" (whichever auth.local / auth.github
// enable); the POST and the OAuth routes are handled by the Express side (auth-routes.ts, auth/github).
import type { Metadata } from "next";
import { getCurrentUser } from "../_lib/auth/current-user";
import { getRuntime } from "../_lib/runtime";
import { USERNAME_RULE } from "@/app/_lib/users/names";
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
  blocked: "This account is blocked. Ask the hub's admins.",
};

/** Why a GitHub sign-in ended here; `login` is the GitHub login (or hub name) concerned. */
function githubError(code: string, login: string): string | null {
  const who = login ? `GitHub user ${login}` : "This GitHub account";
  switch (code) {
    case "github-consent-denied":
      return "You declined to authorize this hub on GitHub, so you are not signed in. Sign in again and choose Authorize to continue.";
    case "github-state":
      return "The GitHub sign-in could not be verified (the state did not match this browser, or it expired). Please start again from this page.";
    case "github-token":
      return "GitHub did not confirm the sign-in: exchanging the authorization code for a token failed. Please try again; if it keeps failing, tell the hub's admins.";
    case "github-error":
      return "Signing in with GitHub failed: GitHub answered unexpectedly or could not be reached. Please try again later.";
    case "github-not-listed":
      return `${who} is not allowed on this hub: it is not among the allowed users and not a member of an allowed organisation or team. Ask the hub's admins for access.`;
    case "github-no-rules":
      return "This hub admits nobody through GitHub yet (no allowed users, organisations or teams are configured). Ask the hub's admins.";
    case "github-bad-name":
      return `${who} cannot be used as a hub user name here: hub names need ${USERNAME_RULE}. Ask the hub's admins.`;
    case "github-local-exists":
      return `A local account named ${login} already exists on this hub, so the GitHub login of the same name was refused. Sign in with its password, or ask the hub's admins to link the accounts (auth.github.linkLocalAccounts).`;
    case "github-taken":
      return `The hub account ${login} belongs to a different GitHub account, so this sign-in was refused. Ask the hub's admins.`;
    case "github-os-user":
      return `No valid OS account could be mapped for ${who}. Ask the hub's admins to check hub.osUserTemplate / hub.osUserMapFile.`;
    case "github-blocked":
      return `The hub account ${login} is blocked. Ask the hub's admins.`;
    case "github-disabled":
      return "Signing in with GitHub is turned off on this hub.";
    default:
      return null;
  }
}

export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
  const q = await searchParams;
  const next = safeNextPath(firstParam(q.next)) ?? "/hub/home";
  if (await getCurrentUser()) await redirectTo(next);
  const error = firstParam(q.error);
  const info = firstParam(q.info);
  const { config } = getRuntime();
  const local = config.auth.local.enabled;
  // Before the first admin exists, the only way in is the one-time setup link: say so here.
  const needsSetup = (await getRuntime().db.user.count({ where: { admin: true } })) === 0;
  const github = config.auth.github.enabled;
  const errorText = error ? (githubError(error, firstParam(q.login) ?? "") ?? ERRORS[error] ?? "Signing in failed; please try again.") : null;
  return (
    <PageFrame narrow>
      <Card>
        <h1 className="text-xl font-semibold">Sign in to Gyre</h1>
        <div className="mt-4 space-y-3">
          {errorText && (
            <Notice kind="error" testId="login-error">
              {errorText}
            </Notice>
          )}
          {!local && !github && (
            <Notice kind="error">No sign-in method is enabled on this hub (auth.local.enabled and auth.github.enabled are both false).</Notice>
          )}
          {info === "logged-out" && (
            <Notice kind="success" testId="login-info">
              You have been logged out.
            </Notice>
          )}
          {needsSetup && (
            <Notice kind="info" testId="login-setup-hint">
              This hub has no admin account yet. Create it with the one-time setup link that the hub printed when it started (<code>npm start</code> repeats it
              in its final banner; it is also in the hub&apos;s data directory, file <code>setup-link</code>).
            </Notice>
          )}
        </div>
        {local && (
          <form method="post" action="/hub/login" className="mt-6 space-y-4">
            <input type="hidden" name="next" value={next} />
            <div>
              <label htmlFor="username" className={labelClass}>
                User name
              </label>
              <input
                id="username"
                name="username"
                type="text"
                required
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                autoFocus
                defaultValue={firstParam(q.username)}
                className={inputClass}
              />
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
        )}
        {/* Other sign-in methods go here. A full page load: /hub/oauth_login is an Express route. */}
        <div data-testid="login-providers" className="mt-4 space-y-2 empty:hidden">
          {github && (
            <a
              href={`/hub/oauth_login?${new URLSearchParams({ next })}`}
              data-testid="login-github"
              className={`${local ? buttonClass.secondary : buttonClass.primary} w-full`}
            >
              Sign in with GitHub
            </a>
          )}
        </div>
      </Card>
    </PageFrame>
  );
}
