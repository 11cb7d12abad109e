// /hub/setup – first-run creation of the admin account, from the one-time link in the hub's log.
import type { Metadata } from "next";
import { getRuntime } from "../_lib/runtime";
import { hashToken } from "../_lib/auth/api-tokens";
import { judgeSetupLink, type SetupLinkState } from "../_lib/auth/setup-links";
import { USERNAME_RULE } from "@/app/_lib/users/names";
import { PageFrame } from "../_components/page-frame";
import { Card, Notice, buttonClass, inputClass, labelClass } from "../_components/ui";
import { firstParam, type SearchParams } from "../_components/search-params";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Set up" };

const RESET_HINT = "npm run reset-password -- <name>";

function errorText(code: string, minLength: number, reset: boolean): string | null {
  switch (code) {
    case "":
      return null;
    case "expired":
      return reset
        ? `This password link is invalid, already used or expired. Ask for a new one (an admin runs \`${RESET_HINT}\` on the hub's host).`
        : "This setup link is invalid or has expired. Restart the hub: while no admin account exists, it prints a new one-time link at every start.";
    case "done":
      return `Setup is complete: an admin account exists, so this link has no further use. Sign in with that account. Lost its password? Run \`${RESET_HINT}\` on the hub's host for a one-time link that sets a new one.`;
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

/** What a link can still do, read before showing a form (a used link shows why, not a form). */
async function linkState(token: string): Promise<SetupLinkState> {
  const { db } = getRuntime();
  const row = token ? await db.setupToken.findUnique({ where: { hash: hashToken(token) } }) : null;
  const adminExists = (await db.user.count({ where: { admin: true } })) > 0;
  return judgeSetupLink({ row, adminExists, now: new Date() });
}

export default async function SetupPage({ searchParams }: { searchParams: SearchParams }) {
  const q = await searchParams;
  const token = firstParam(q.token);
  const code = firstParam(q.error);
  const minLength = getRuntime().config.auth.local.minPasswordLength;
  const link = await linkState(token);
  // An unusable link explains itself even when nobody has posted the form yet.
  const usable = !!token && link.verdict === "usable";
  const shown = code || (token && !usable ? link.verdict : "");
  const error = errorText(shown, minLength, link.explainAsReset);
  return (
    <PageFrame narrow>
      <Card>
        <h1 className="text-xl font-semibold">{link.explainAsReset ? "Set a new password" : "Set up Gyre"}</h1>
        {(link.resetFor || !link.explainAsReset) && (
          <p className="mt-2 text-sm text-slate-600">
            {link.resetFor
              ? `Choose a new password for ${link.resetFor}. Signing in elsewhere with the old one stops working.`
              : "Create the first admin account. You can add other users from the admin page afterwards."}
          </p>
        )}
        {error && (
          <div className="mt-4">
            <Notice kind="error" testId="setup-error">
              {error}
              {shown === "done" && (
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
        {!usable ? (
          !token && (
            <div className="mt-4">
              <Notice kind="info">
                This page needs the one-time setup link that the hub prints when it starts without an admin account (`npm start` repeats it in its final
                banner).
              </Notice>
            </div>
          )
        ) : (
          <form method="post" action="/hub/setup" className="mt-6 space-y-4">
            <input type="hidden" name="token" value={token} />
            <div>
              <label htmlFor="username" className={labelClass}>
                {link.resetFor ? "User name" : "Admin user name"}
              </label>
              {link.resetFor ? (
                <input id="username" name="username" type="text" readOnly value={link.resetFor} autoComplete="username" className={inputClass} />
              ) : (
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
                  aria-describedby="username-rule"
                />
              )}
              <p id="username-rule" className="mt-1 text-xs text-slate-500">
                Use {USERNAME_RULE}.
              </p>
            </div>
            <div>
              <label htmlFor="password" className={labelClass}>
                Password
              </label>
              <input
                id="password"
                name="password"
                type="password"
                required
                minLength={minLength}
                autoComplete="new-password"
                className={inputClass}
                aria-describedby="password-rule"
              />
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
              {link.resetFor ? "Set the new password" : "Create admin account"}
            </button>
          </form>
        )}
      </Card>
    </PageFrame>
  );
}
