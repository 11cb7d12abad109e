// The signed-in user for server components (pages). Route handlers use request-auth.ts instead.
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { SESSION_COOKIE } from "@/proxy/auth/session-cookie";
import { getRuntime } from "../runtime";
import { readSession } from "./sessions";
import type { CurrentUser } from "../models";

export async function getCurrentUser(): Promise<CurrentUser | null> {
  const { db, keys } = getRuntime();
  const jar = await cookies();
  const s = await readSession(db, jar.get(SESSION_COOKIE)?.value, keys.sessionCookie, new Date());
  if (!s) return null;
  return { id: s.user.id, name: s.user.name, admin: s.user.admin, csrfToken: s.csrf, sessionId: s.sessionId };
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
