// What the sharing routes share: the request's actor, the context, body schemas and list paging.
import { z } from "zod";
import { getRuntime } from "@/app/_lib/runtime";
import type { Principal } from "@/app/_lib/auth/request-auth";
import { parsePageQuery } from "@/app/_lib/http/list-query";
import { NAME_MAX_LENGTH, normalizeUsername } from "@/app/_lib/users/names";
import { SHARE_CODE_MAX_SECONDS, serverFromSegment, type Actor } from "./share-rules";
import type { Page, ShareContext } from "./shares";

export function shareContext(): ShareContext {
  const { db, proxy, origins } = getRuntime();
  return { db, proxy, plan: origins };
}

export function actorOf(p: Principal): Actor {
  return { name: p.user.name, admin: p.user.admin };
}

/** The owner and server named by /…/{owner}/{server} ("_default_" → the default server). */
export function ownerServer(params: { owner: string; server: string }): { owner: string; server: string } {
  return { owner: normalizeUsername(params.owner), server: serverFromSegment(params.server) };
}

/** offset/limit of a share list (JupyterHub's share lists are always paginated answers). */
export function pageOf(req: Request): Page {
  return parsePageQuery(new URL(req.url).searchParams, true);
}

/** The list answer of every share endpoint: {items, _pagination}. */
export function pagedResponse(req: Request, page: { items: unknown[]; offset: number; limit: number; total: number }): Response {
  const url = new URL(req.url);
  const next = page.offset + page.limit < page.total ? { offset: page.offset + page.limit, limit: page.limit, url: null as string | null } : null;
  if (next) {
    const q = new URLSearchParams(url.searchParams);
    q.set("offset", String(next.offset));
    q.set("limit", String(next.limit));
    next.url = `${url.pathname.startsWith("/hub/") ? "" : "/hub"}${url.pathname}?${q}`;
  }
  return Response.json({ items: page.items, _pagination: { offset: page.offset, limit: page.limit, total: page.total, next } });
}

const name = z.string().min(1).max(NAME_MAX_LENGTH);
const scopes = z.array(z.string().max(600)).max(10).optional();

/** POST and PATCH /shares/{owner}/{server}. */
export const ShareBody = z.object({ user: name.optional(), group: name.optional(), scopes }).strict();

/** POST /share-codes/{owner}/{server}; max_exchanges is Gyre's (how many acceptances). */
export const ShareCodeBody = z
  .object({
    scopes,
    expires_in: z.number().int().positive().max(SHARE_CODE_MAX_SECONDS).nullable().optional(),
    max_exchanges: z.number().int().positive().max(10_000).nullable().optional(),
  })
  .strict();
