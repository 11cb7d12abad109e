// I/O: resolve a launch link's ref to the commit that is launched and cached. GitHub and GitLab
// through their REST APIs (with the admin's token when there is one, ETag revalidation, a TTL),
// plain git through `git ls-remote`. Concurrent resolutions of the same ref share one request.
import { LaunchError } from "./launch-error";
import { pickLsRemoteCommit } from "./ls-remote-output";
import { gitLsRemote, type LsRemoteOptions } from "./git-ls-remote";
import { LAUNCH_PROVIDERS, type ProviderSettings, type RepoSpec } from "./providers";
import type { ApiAnswer } from "./providers/types";
import { RefCache } from "./ref-cache";
import { isCommitId } from "./refs";

export interface ResolvedRef {
  commit: string;
  /** where a person can browse the repository at that commit */
  refUrl: string;
  /** answered from the cache without asking the provider */
  cached: boolean;
}

export interface RefResolverOptions {
  settings: ProviderSettings;
  /** API tokens (the contents of launch.github.tokenFile / launch.gitlab.tokenFile) */
  tokens?: { github?: string; gitlab?: string };
  cacheSeconds: { github: number; gitlab: number; git: number };
  lsRemoteTimeoutSeconds: number;
  /** seams for tests; default: fetch() and git */
  httpGet?: (url: string, headers: Record<string, string>) => Promise<ApiAnswer>;
  lsRemote?: (opts: LsRemoteOptions) => Promise<string>;
  now?: () => number;
}

export interface RefResolver {
  /** The commit `spec.ref` names now; throws LaunchError (not-found, rate-limited, unreachable). */
  resolve(spec: RepoSpec): Promise<ResolvedRef>;
}

const API_TIMEOUT_MS = 15_000;

export function createRefResolver(opts: RefResolverOptions): RefResolver {
  const cache = new RefCache();
  const inFlight = new Map<string, Promise<ResolvedRef>>();
  const now = opts.now ?? Date.now;
  const httpGet = opts.httpGet ?? fetchJson;
  const lsRemote = opts.lsRemote ?? gitLsRemote;

  async function resolveUncached(spec: RepoSpec, key: string): Promise<ResolvedRef> {
    const provider = LAUNCH_PROVIDERS[spec.provider];
    const how = provider.resolution(spec, opts.settings);
    const refUrl = (commit: string) => provider.refUrl(spec, commit, opts.settings);
    if (how.kind === "commit") return { commit: how.commit, refUrl: refUrl(how.commit), cached: false };

    const cached = cache.get(key, now());
    if (cached?.fresh) {
      if ("error" in cached.value) throw cached.value.error;
      return { commit: cached.value.commit, refUrl: refUrl(cached.value.commit), cached: true };
    }
    // a commit id never moves: keep it for a day; a branch or tag for the admin's TTL
    const ttlMs = isCommitId(spec.ref) ? 86_400_000 : 1000 * opts.cacheSeconds[how.kind === "api" ? how.api : "git"];

    if (how.kind === "ls-remote") {
      const allowHttp = new URL(how.url).protocol === "http:";
      const out = await lsRemote({ url: how.url, ref: how.ref, allowHttp, timeoutSeconds: opts.lsRemoteTimeoutSeconds });
      const commit = pickLsRemoteCommit(out, how.ref);
      if (!commit) {
        const error = new LaunchError("not-found", `${how.url} has no branch or tag named "${how.ref}".`);
        cache.set(key, { error }, ttlMs, now());
        throw error;
      }
      cache.set(key, { commit }, ttlMs, now());
      return { commit, refUrl: refUrl(commit), cached: false };
    }

    const etag = cached && "commit" in cached.value ? cached.value.etag : undefined;
    const answer = await httpGet(how.url, apiHeaders(how.api, opts.tokens, etag));
    const reading = how.read(answer, now());
    if ("notModified" in reading) {
      if (!cached || !("commit" in cached.value)) throw new LaunchError("unreachable", "The provider answered 304 to a request the hub had not cached.");
      cache.touch(key, now());
      return { commit: cached.value.commit, refUrl: refUrl(cached.value.commit), cached: true };
    }
    if ("error" in reading) {
      if (reading.error.kind === "not-found") cache.set(key, { error: reading.error }, ttlMs, now());
      throw reading.error;
    }
    cache.set(key, { commit: reading.commit, etag: answer.headers.etag || undefined }, ttlMs, now());
    return { commit: reading.commit, refUrl: refUrl(reading.commit), cached: false };
  }

  return {
    resolve(spec: RepoSpec): Promise<ResolvedRef> {
      const key = `${spec.provider}\0${spec.repoUrl}\0${spec.ref}`;
      let p = inFlight.get(key);
      if (!p) {
        p = resolveUncached(spec, key).finally(() => inFlight.delete(key));
        inFlight.set(key, p);
      }
      return p;
    },
  };
}

function apiHeaders(api: "github" | "gitlab", tokens: RefResolverOptions["tokens"], etag: string | undefined): Record<string, string> {
  const h: Record<string, string> = { "user-agent": "gyre-hub" };
  if (api === "github") {
    h.accept = "application/vnd.github+json";
    h["x-github-api-version"] = "2022-11-28";
    if (tokens?.github) h.authorization = `Bearer ${tokens.github}`;
  } else if (tokens?.gitlab) {
    h["private-token"] = tokens.gitlab;
  }
  if (etag) h["if-none-match"] = etag;
  return h;
}

async function fetchJson(url: string, headers: Record<string, string>): Promise<ApiAnswer> {
  let res: Response;
  try {
    res = await fetch(url, { headers, redirect: "follow", signal: AbortSignal.timeout(API_TIMEOUT_MS) });
  } catch (err) {
    throw new LaunchError("unreachable", `${new URL(url).host} could not be reached: ${(err as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => (out[k.toLowerCase()] = v));
  return { status: res.status, headers: out, body };
}
