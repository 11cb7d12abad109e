// The signed-in user for server components (pages). Route handlers use request-auth.ts instead.
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getRuntime } from "../runtime";
import { readRequestSession } from "./sessions";
import type { CurrentUser } from "../models";

export async function getCurrentUser(): Promise<CurrentUser | null> {
  const { db, keys, origins } = getRuntime();
  // The raw header, not cookies(): that keeps one value per name, and the session may be another.
  const s = await readRequestSession(db, (await headers()).get("cookie"), keys.sessionCookie, new Date(), origins.scheme === "https:");
  if (!s) return null;
  return { id: s.user.id, name: s.user.name, admin: s.user.admin, csrfToken: s.csrf, sessionId: s.sessionId, sessionExpiresAt: s.expiresAt };
}

/** The signed-in user, or a redirect to the login page that comes back to `nextPath`. */
export async function requireCurrentUser(nextPath: string): Promise<CurrentUser> {
  const u = await getCurrentUser();
  if (!u) redirect(`/login?next=${encodeURIComponent("/hub" + nextPath)}`);
  return u;
}

export async function requireCurrentAdmin(nextPath: string): Promise<CurrentUser> {
  const u = await requireCurrentUser(nextPath);
  if (!u.admin) redirect("/home?error=admin-only");
  return u;
}
