// Which server a /hub/spawn or /hub/spawn-pending URL means, and whether the viewer may act on it.
import { notFound } from "next/navigation";
import { getRuntime } from "../_lib/runtime";
import { HttpError } from "../_lib/http/errors";
import { normalizeUsername, USERNAME_PATTERN, validateServerName } from "@/app/_lib/users/names";
import type { CurrentUser } from "../_lib/models";
import { requireCurrentUser } from "../_lib/auth/current-user";
import { safeNextPath } from "./redirect-to";
import { serverPublicPath } from "./hub-fetch";
import { userUrl } from "@/proxy/origins/origin-plan";

export interface ServerTarget {
  user: string;
  server: string;
  /** the viewer is the owner or an admin */
  allowed: boolean;
  row: { id: number; state: string; message: string | null; logTail: string | null; spawnId: string | null; options: string } | null;
}

/**
 * `segments`: [] (the viewer's default server), [user] or [user, server]. Bad names are 404s.
 * Someone who may not act on `user`'s servers gets the same answer whether or not `user` exists
 * (not allowed, nothing read), so the pages cannot be used to find out who has an account;
 * for admins an unknown user is a 404.
 */
export async function resolveServerTarget(viewer: CurrentUser, segments: string[] | undefined): Promise<ServerTarget> {
  const [rawUser, rawServer, ...rest] = (segments ?? []).map(safeDecode);
  if (rest.length) notFound();
  const user = rawUser ? normalizeUsername(rawUser) : viewer.name;
  let server: string;
  try {
    server = validateServerName(rawServer);
  } catch (err) {
    if (err instanceof HttpError) notFound();
    throw err;
  }
  if (!USERNAME_PATTERN.test(user)) notFound();
  const allowed = viewer.admin || viewer.name === user;
  if (!allowed) return { user, server, allowed, row: null };
  const { db } = getRuntime();
  const u = await db.user.findUnique({ where: { name: user }, select: { id: true } });
  if (!u) notFound();
  const row = await db.server.findUnique({
    where: { userId_name: { userId: u.id, name: server } },
    select: { id: true, state: true, message: true, logTail: true, spawnId: true, options: true },
  });
  return { user, server, allowed, row };
}

// Next may hand over segments still percent-encoded; a malformed escape is just a bad name.
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The page path for a target, as given to requireCurrentUser (without /hub). */
export function targetPagePath(page: "spawn" | "spawn-pending", segments: string[] | undefined): string {
  return `/${page}${(segments ?? []).map((s) => `/${encodeURIComponent(safeDecode(s))}`).join("")}`;
}

/** What /hub/spawn and /hub/spawn-pending both start from. */
export interface ServerPage {
  viewer: CurrentUser;
  target: ServerTarget;
  /** the server's public path, "/user/<name>/[<server>/]" */
  url: string;
  /** `?next=` when it is a safe path inside this server, else null */
  nextForServer: string | null;
  /** where to go once the server runs: `next`, else its tree — on the owner's origin (absolute in per-user mode) */
  openUrl: string;
}

/** Signs the viewer in (coming back to this page and its `next`), then resolves the target server. */
export async function loadServerPage(page: "spawn" | "spawn-pending", segments: string[] | undefined, rawNext: string | undefined): Promise<ServerPage> {
  const viewer = await requireCurrentUser(targetPagePath(page, segments) + (rawNext ? `?next=${encodeURIComponent(rawNext)}` : ""));
  const target = await resolveServerTarget(viewer, segments);
  const url = serverPublicPath(target.user, target.server);
  const next = safeNextPath(rawNext);
  const nextForServer = next?.startsWith(url) ? next : null;
  return { viewer, target, url, nextForServer, openUrl: userUrl(getRuntime().origins, target.user, nextForServer ?? `${url}tree`) };
}
