// The contract of a launch provider (the <provider> in /v2/<provider>/<spec>): how its spec is
// parsed, what the allow-list sees, and how its ref becomes a commit. Pure: providers describe
// requests and read answers; app/_lib/launch/resolve-ref.ts does the I/O.
import type { LaunchError } from "../launch-error";

export type LaunchProviderId = "gh" | "gl" | "git" | "gist";

/** What the providers need from the launch config, derived once (see providerSettings()). */
export interface ProviderSettings {
  github: { webUrl: string; apiUrl: string; gistUrl: string; allowSecretGists: boolean };
  gitlab: { webUrl: string; apiUrl: string };
  /** hosts that may be reached over plain http */
  httpHosts: string[];
}

/** What the admin's allow-list decides on (app/_lib/launch/allow-list.ts). */
export type AllowSubject =
  { kind: "github"; owner: string } | { kind: "gitlab"; project: string } | { kind: "gist"; user: string } | { kind: "git"; host: string };

/** A launch link's repository, at the ref the link names (not resolved yet). */
export interface RepoSpec {
  provider: LaunchProviderId;
  /** the spec as it was in the link (still %-escaped), e.g. "binder-examples/requirements/HEAD" */
  rawSpec: string;
  /** branch, tag, commit or "HEAD" */
  ref: string;
  /** the URL git fetches from (https, or http on an allowed host) */
  repoUrl: string;
  subject: AllowSubject;
  /** short readable name for folders and server names ("requirements") */
  shortName: string;
  /** the spec with the ref left out, as it appears in links ("binder-examples/requirements") */
  repoPart: string;
}

/** One API answer as the resolver received it (header names lower-case). */
export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** An API answer read: a commit, "not modified" (use the cached commit), or an error to show. */
export type ApiReading = { commit: string } | { notModified: true } | { error: LaunchError };

/** How the hub turns a spec's ref into a commit. */
export type Resolution =
  /** the ref is a commit id already and the provider cannot check it cheaply (plain git) */
  | { kind: "commit"; commit: string }
  /** a GET against a provider API (the resolver adds the token and If-None-Match) */
  | { kind: "api"; api: "github" | "gitlab"; url: string; read: (answer: ApiAnswer, now: number) => ApiReading }
  /** `git ls-remote <url>` and pick the ref */
  | { kind: "ls-remote"; url: string; ref: string };

export interface LaunchProvider {
  id: LaunchProviderId;
  displayName: string;
  /** Parses the part of the path after /v2/<id>/ (raw, %-escapes kept); throws LaunchError("bad-link"). */
  parse(rawSpec: string, settings: ProviderSettings): RepoSpec;
  resolution(spec: RepoSpec, settings: ProviderSettings): Resolution;
  /** Where a person can browse the repository at that commit (BinderHub's binder_ref_url). */
  refUrl(spec: RepoSpec, commit: string, settings: ProviderSettings): string;
}
