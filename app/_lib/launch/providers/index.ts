// The launch providers: one file each, one line here (the <provider> of /v2/<provider>/<spec>).
import type { LaunchConfig } from "@/config/launch-section";
import { gistProvider } from "./gist";
import { gitProvider } from "./git";
import { githubProvider } from "./github";
import { gitlabProvider } from "./gitlab";
import type { LaunchProvider, LaunchProviderId, ProviderSettings } from "./types";

export const LAUNCH_PROVIDERS = {
  gh: githubProvider,
  gl: gitlabProvider,
  git: gitProvider,
  gist: gistProvider,
} satisfies Record<LaunchProviderId, LaunchProvider>;

export function isLaunchProviderId(id: string): id is LaunchProviderId {
  return Object.hasOwn(LAUNCH_PROVIDERS, id);
}

/** The providers' view of the launch config. */
export function providerSettings(config: Pick<LaunchConfig, "github" | "gitlab" | "allow">): ProviderSettings {
  const trim = (u: string) => u.replace(/\/+$/, "");
  const gitlab = trim(config.gitlab.url);
  return {
    github: {
      webUrl: trim(config.github.url),
      apiUrl: trim(config.github.apiUrl),
      gistUrl: trim(config.github.gistUrl),
      allowSecretGists: config.github.allowSecretGists,
    },
    gitlab: { webUrl: gitlab, apiUrl: `${gitlab}/api/v4` },
    httpHosts: config.allow.httpHosts,
  };
}

export type { LaunchProvider, LaunchProviderId, ProviderSettings, RepoSpec } from "./types";
