// redirect() for targets given as full public paths ("/hub/…" or "/user/…") or absolute URLs (a
// user's own origin). Next's redirect() prefixes every "/…" path with the basePath (/hub), which
// would turn /user/alice/tree into /hub/user/alice/tree; so hub paths drop their prefix and other
// paths become absolute URLs on the host the browser used.
import { headers } from "next/headers";
import { redirect } from "next/navigation";

export async function redirectTo(fullPath: string): Promise<never> {
  if (/^https?:\/\//.test(fullPath)) redirect(fullPath);
  if (fullPath === "/hub" || fullPath.startsWith("/hub/") || fullPath.startsWith("/hub?")) redirect(fullPath.slice(4) || "/");
  const h = await headers();
  const host = h.get("x-forwarded-host") ?? h.get("host") ?? "localhost";
  const proto = h.get("x-forwarded-proto")?.split(",")[0]?.trim() || "http";
  redirect(`${proto}://${host}${fullPath}`);
}

/** Only same-site relative paths may be redirect targets (no open redirects). */
export function safeNextPath(raw: unknown): string | null {
  if (typeof raw !== "string" || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\") || /[\r\n]/.test(raw)) return null;
  return raw;
}
