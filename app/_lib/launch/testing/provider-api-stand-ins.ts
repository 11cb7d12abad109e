// Stand-ins for the GitHub and GitLab REST APIs, built from their documented endpoints, for tests
// (neither service can be reached from here). Only what launches use:
//   GitHub  GET /repos/{owner}/{repo}/commits/{ref}   200 {sha,...} + ETag; If-None-Match → 304
//           (not counted against the rate limit); 404 unknown or private repository; 422 "No
//           commit found for SHA: <ref>"; 403 with x-ratelimit-remaining: 0 and
//           x-ratelimit-reset once the limit is used up
//           GET /gists/{id}                          200 {id, public, owner:{login}, history:[{version}]}
//   GitLab  GET /api/v4/projects/{url-encoded path}/repository/commits/{ref}
//           200 {id, short_id, ...}; 404 {"message":"404 Project Not Found"} / "404 Commit Not Found"
// Refs are answered by a function the test gives (a table, or `git rev-parse` in real repositories).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StandInRepo {
  /** the commit a ref names, or null */
  resolve(ref: string): string | null;
  private?: boolean;
}

export interface StandInGist {
  owner: string;
  public: boolean;
  /** newest first, as GitHub lists them */
  versions: string[];
}

export interface ApiStandIn {
  url: string;
  /** requests served, with the If-None-Match they carried: "GET /repos/o/r/commits/main [etag]" */
  requests: string[];
  /** the Authorization / PRIVATE-TOKEN headers seen */
  credentials: string[];
  /** remaining GitHub requests before 403s (counts down on every answer but 304s) */
  rateLimitRemaining: number;
  close(): Promise<void>;
}

export async function startGitHubStandIn(opts: {
  repos: Record<string, StandInRepo>;
  gists?: Record<string, StandInGist>;
  rateLimit?: number;
  nowSeconds?: () => number;
}): Promise<ApiStandIn> {
  const state = { requests: [] as string[], credentials: [] as string[], rateLimitRemaining: opts.rateLimit ?? 60 };
  const now = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const limitHeaders = () => ({
    "x-ratelimit-limit": String(opts.rateLimit ?? 60),
    "x-ratelimit-remaining": String(Math.max(0, state.rateLimitRemaining)),
    "x-ratelimit-reset": String(now() + 1800),
  });
  return serve(state, (req, res, path) => {
    if (req.headers.authorization) state.credentials.push(req.headers.authorization);
    if (state.rateLimitRemaining <= 0) return json(res, 403, { message: "API rate limit exceeded for 127.0.0.1." }, limitHeaders());
    let m = /^\/repos\/([^/]+)\/([^/]+)\/commits\/(.+)$/.exec(path);
    if (m) {
      const repo = opts.repos[`${m[1]}/${m[2]}`];
      if (!repo || repo.private)
        return countAnd(state, () =>
          json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest/commits/commits#get-a-commit" }, limitHeaders()),
        );
      const ref = decodeURIComponent(m[3]);
      const sha = repo.resolve(ref);
      if (!sha)
        return countAnd(state, () =>
          json(
            res,
            422,
            { message: `No commit found for SHA: ${ref}`, documentation_url: "https://docs.github.com/rest/commits/commits#get-a-commit" },
            limitHeaders(),
          ),
        );
      const etag = `"${sha}"`;
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, { etag, ...limitHeaders() });
        return res.end();
      }
      return countAnd(state, () =>
        json(
          res,
          200,
          { sha, node_id: "x", commit: { message: "a commit" }, html_url: `https://github.com/${m![1]}/${m![2]}/commit/${sha}` },
          { etag, ...limitHeaders() },
        ),
      );
    }
    m = /^\/gists\/([^/]+)$/.exec(path);
    if (m) {
      const gist = opts.gists?.[m[1]];
      if (!gist) return countAnd(state, () => json(res, 404, { message: "Not Found" }, limitHeaders()));
      return countAnd(state, () =>
        json(
          res,
          200,
          {
            id: m[1],
            public: gist.public,
            owner: { login: gist.owner },
            history: gist.versions.map((version) => ({ version, committed_at: "2024-01-01T00:00:00Z" })),
          },
          limitHeaders(),
        ),
      );
    }
    json(res, 404, { message: "Not Found" });
  });
}

export async function startGitLabStandIn(opts: { projects: Record<string, StandInRepo> }): Promise<ApiStandIn> {
  const state = { requests: [] as string[], credentials: [] as string[], rateLimitRemaining: Infinity };
  return serve(state, (req, res, path) => {
    if (req.headers["private-token"]) state.credentials.push(String(req.headers["private-token"]));
    const m = /^\/api\/v4\/projects\/([^/]+)\/repository\/commits\/(.+)$/.exec(path);
    if (!m) return json(res, 404, { error: "404 Not Found" });
    const project = opts.projects[decodeURIComponent(m[1])];
    if (!project || project.private) return json(res, 404, { message: "404 Project Not Found" });
    const sha = project.resolve(decodeURIComponent(m[2]));
    if (!sha) return json(res, 404, { message: "404 Commit Not Found" });
    json(res, 200, { id: sha, short_id: sha.slice(0, 8), title: "a commit", parent_ids: [] }, { etag: `W/"${sha}"` });
  });
}

function countAnd(state: { rateLimitRemaining: number }, answer: () => void): void {
  state.rateLimitRemaining--;
  answer();
}

async function serve(
  state: { requests: string[]; credentials: string[]; rateLimitRemaining: number },
  handle: (req: IncomingMessage, res: ServerResponse, rawPath: string) => void,
): Promise<ApiStandIn> {
  const server = createServer((req, res) => {
    const rawPath = (req.url ?? "/").split("?")[0];
    state.requests.push(`${req.method} ${rawPath}${req.headers["if-none-match"] ? ` [${req.headers["if-none-match"]}]` : ""}`);
    handle(req, res, rawPath);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const out = state as ApiStandIn;
  out.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  out.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return out;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}
