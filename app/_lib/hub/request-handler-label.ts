// The `handler` label of jupyterhub_request_duration_seconds: the route template a request went to
// (JupyterHub labels by handler class; Gyre by its route's path template), from a fixed table so a
// client inventing paths cannot grow the label set. Pure.

/**
 * Route templates as the app's files name them ([x]: one segment; [...x] and [[...x]]: the rest).
 * app/_lib/hub/request-handler-label.test.ts checks that every route and page file has its template.
 */
export const ROUTE_TEMPLATES: readonly string[] = [
  // REST API (app/api)
  "/hub/api",
  "/hub/api/account/password",
  "/hub/api/admin/announcement",
  "/hub/api/admin/bulk-jobs",
  "/hub/api/admin/bulk-jobs/[id]",
  "/hub/api/admin/groups",
  "/hub/api/admin/groups/[name]",
  "/hub/api/admin/groups/[name]/members",
  "/hub/api/admin/usage",
  "/hub/api/admin/users",
  "/hub/api/admin/users/[name]",
  "/hub/api/admin/users/[name]/reset-link",
  "/hub/api/batch/callback",
  "/hub/api/git-pull",
  "/hub/api/groups",
  "/hub/api/groups/[name]",
  "/hub/api/groups/[name]/properties",
  "/hub/api/groups/[name]/users",
  "/hub/api/info",
  "/hub/api/launches",
  "/hub/api/metrics",
  "/hub/api/proxy",
  "/hub/api/proxy/activity",
  "/hub/api/proxy/auth",
  "/hub/api/proxy/routes",
  "/hub/api/proxy/server-check",
  "/hub/api/proxy/token-owner",
  "/hub/api/user",
  "/hub/api/users",
  "/hub/api/users/[name]",
  "/hub/api/users/[name]/activity",
  "/hub/api/users/[name]/server",
  "/hub/api/users/[name]/server/log",
  "/hub/api/users/[name]/server/progress",
  "/hub/api/users/[name]/servers/[server]",
  "/hub/api/users/[name]/servers/[server]/progress",
  "/hub/api/users/[name]/sessions",
  "/hub/api/users/[name]/tokens",
  "/hub/api/users/[name]/tokens/[id]",
  "/hub/api/groups/[name]/shared/[owner]/[server]",
  "/hub/api/groups/[name]/shared",
  "/hub/api/oauth2/authorize",
  "/hub/api/oauth2/token",
  "/hub/api/proxy/extra-routes",
  "/hub/api/services/[name]",
  "/hub/api/services",
  "/hub/api/share-codes/[owner]/[server]",
  "/hub/api/share-codes/[owner]",
  "/hub/api/shares/[owner]/[server]",
  "/hub/api/shares/[owner]",
  "/hub/api/users/[name]/shared/[owner]/[server]",
  "/hub/api/users/[name]/shared",
  "/hub/api/[...path]",
  // pages and the Express entry's own routes
  "/hub",
  "/hub/account",
  "/hub/admin",
  "/hub/admin/announcement",
  "/hub/admin/groups",
  "/hub/admin/servers",
  "/hub/admin/usage",
  "/hub/admin/users/[name]",
  "/hub/admin/users/[name]/log",
  "/hub/git-pull",
  "/hub/home",
  "/hub/launch",
  "/hub/launch/v2/[...spec]",
  "/hub/launch-badge.svg",
  "/hub/login",
  "/hub/logout",
  "/hub/metrics",
  "/hub/origin-login",
  "/hub/setup",
  "/hub/spawn-pending/[...path]",
  "/hub/spawn/[[...path]]",
  "/hub/token",
  "/hub/user-redirect/[[...path]]",
  "/hub/accept-share",
  "/hub/_next/[...path]",
  "/v2/[...spec]",
  "/build/[...spec]",
  "/",
];

interface Compiled {
  template: string;
  test: RegExp;
}

function compile(template: string): Compiled {
  const parts = template
    .split("/")
    .filter(Boolean)
    .map((seg) => {
      if (/^\[\[\.\.\.\w+\]\]$/.test(seg)) return "(?:/.*)?";
      if (/^\[\.\.\.\w+\]$/.test(seg)) return "/.+";
      if (/^\[\w+\]$/.test(seg)) return "/[^/]+";
      return `/${seg.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}`;
    });
  // a literal template wins over a catch-all: the table is searched literal-first (sorted below)
  return { template, test: new RegExp(`^${parts.join("")}/?$`) };
}

/** Most specific first: fewer catch-alls, then more literal segments. */
const COMPILED: readonly Compiled[] = ROUTE_TEMPLATES.map(compile).sort((a, b) => {
  const rest = (t: string) => (t.includes("...") ? 1 : 0);
  const literal = (t: string) => t.split("/").filter((s) => s && !s.startsWith("[")).length;
  return rest(a.template) - rest(b.template) || literal(b.template) - literal(a.template);
});

/** The template `pathname` (no query) matches, or "other" (the label set stays the table's). */
export function requestHandlerLabel(pathname: string): string {
  for (const c of COMPILED) if (c.test.test(pathname)) return c.template;
  return "other";
}
