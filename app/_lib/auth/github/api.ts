// Calls to GitHub's REST API after the web flow: the person's organisations and teams. I/O only.

/** Thrown when GitHub's API answers with an error or cannot be reached. */
export class GitHubApiError extends Error {
  name = "GitHubApiError";
}

/** GET every page of a list endpoint (per_page=100, following Link: rel="next"; at most 10 pages). */
async function getAll(url: string, accessToken: string): Promise<unknown[]> {
  const out: unknown[] = [];
  let next: string | null = `${url}${url.includes("?") ? "&" : "?"}per_page=100`;
  for (let page = 0; next && page < 10; page++) {
    let res: Response;
    try {
      res = await fetch(next, {
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: "application/vnd.github+json",
          "user-agent": "gyre-hub",
          "x-github-api-version": "2022-11-28",
        },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new GitHubApiError(`GitHub API ${new URL(url).pathname} could not be reached: ${(err as Error).message}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new GitHubApiError(`GitHub API ${new URL(url).pathname} answered ${res.status}`);
    }
    const body = (await res.json()) as unknown;
    if (!Array.isArray(body)) throw new GitHubApiError(`GitHub API ${new URL(url).pathname} did not return a list`);
    out.push(...(body as unknown[]));
    next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1] ?? null;
  }
  return out;
}

/** The person's organisation logins (GET /user/orgs; private memberships need read:org). */
export async function fetchUserOrgs(apiBase: string, accessToken: string): Promise<string[]> {
  const rows = await getAll(`${apiBase}/user/orgs`, accessToken);
  return rows.map((r) => (r as { login?: unknown }).login).filter((login): login is string => typeof login === "string" && login !== "");
}

/** The person's teams as "org:team-slug" (GET /user/teams, needs read:org). */
export async function fetchUserTeams(apiBase: string, accessToken: string): Promise<string[]> {
  const rows = await getAll(`${apiBase}/user/teams`, accessToken);
  return rows
    .map((r) => {
      const t = r as { slug?: unknown; organization?: { login?: unknown } };
      return typeof t.slug === "string" && typeof t.organization?.login === "string" ? `${t.organization.login}:${t.slug}` : "";
    })
    .filter(Boolean);
}
