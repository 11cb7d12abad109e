// The header every page shows: brand, navigation and (when signed in) who you are + log out.
import Link from "next/link";

export interface HeaderUser {
  name: string;
  admin: boolean;
  /** the session's CSRF token: with it, "Log out" is a POST form (see auth-routes.ts) */
  csrfToken?: string;
}

export function SiteHeader({ user }: { user?: HeaderUser | null }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
        <Link href={user ? "/home" : "/login"} className="flex items-center gap-2 text-lg font-semibold tracking-tight text-slate-900">
          <span aria-hidden="true" className="inline-block h-5 w-5 rounded-full border-4 border-sky-600 border-r-transparent" />
          Gyre
        </Link>
        {user && (
          <nav aria-label="Main" className="flex items-center gap-4 text-sm">
            <Link href="/home" className="text-slate-700 hover:text-sky-700 hover:underline">
              Home
            </Link>
            <Link href="/token" className="text-slate-700 hover:text-sky-700 hover:underline">
              Tokens
            </Link>
            <Link href="/account" className="text-slate-700 hover:text-sky-700 hover:underline">
              Account
            </Link>
            {user.admin && (
              <Link href="/admin" className="text-slate-700 hover:text-sky-700 hover:underline">
                Admin
              </Link>
            )}
          </nav>
        )}
        {user && (
          <div className="ml-auto flex items-center gap-4 text-sm">
            <span className="text-slate-600">
              Signed in as{" "}
              <strong data-testid="current-user" className="font-medium text-slate-900">
                {user.name}
              </strong>
            </span>
            {/* A full page load: /hub/logout is an Express route, not a Next page. */}
            {user.csrfToken ? (
              <form method="post" action="/hub/logout">
                <input type="hidden" name="_csrf" value={user.csrfToken} />
                <button type="submit" data-testid="logout-link" className="rounded border border-slate-300 px-2.5 py-1 text-slate-700 hover:bg-slate-100">
                  Log out
                </button>
              </form>
            ) : (
              <a href="/hub/logout" data-testid="logout-link" className="rounded border border-slate-300 px-2.5 py-1 text-slate-700 hover:bg-slate-100">
                Log out
              </a>
            )}
          </div>
        )}
      </div>
    </header>
  );
}
