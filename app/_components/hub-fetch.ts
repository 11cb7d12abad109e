// fetch() for the hub's REST API from client components: adds the session's CSRF header and turns
// error bodies ({status, message}) into a message the page can show verbatim.
export interface HubResult<T = unknown> {
  ok: boolean;
  status: number;
  data: T | null;
  message: string;
}

export async function hubFetch<T = unknown>(path: string, opts: { method?: string; body?: unknown; csrf?: string } = {}): Promise<HubResult<T>> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (opts.csrf) headers["x-gyre-csrf"] = opts.csrf;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? "GET",
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    return { ok: false, status: 0, data: null, message: "Could not reach the hub; check your connection and try again." };
  }
  let data: unknown = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  const message = !res.ok ? ((data as { message?: string } | null)?.message ?? `The hub answered ${res.status} ${res.statusText}.`) : "";
  return { ok: res.ok, status: res.status, data: data as T | null, message };
}

/** REST paths of a user's default ("") or named server. */
export function serverApiPath(user: string, server: string): string {
  const u = encodeURIComponent(user);
  return server ? `/hub/api/users/${u}/servers/${encodeURIComponent(server)}` : `/hub/api/users/${u}/server`;
}

/** Hub page path (without /hub, for next/link and router.push) of a server's progress page. */
export function spawnPendingPath(user: string, server: string): string {
  return `/spawn-pending/${encodeURIComponent(user)}${server ? `/${encodeURIComponent(server)}` : ""}`;
}

/** Public path of a user's server, served by the proxy (full page loads only). */
export function serverPublicPath(user: string, server: string): string {
  return server ? `/user/${user}/${server}/` : `/user/${user}/`;
}
