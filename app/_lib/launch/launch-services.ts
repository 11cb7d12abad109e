// What the hub process holds for launches, made once at start from the `launch:` section: the
// providers' settings and the ref resolver (with the API tokens read from their files). Bad
// settings stop the hub with a message that names the option.
import { readFileSync } from "node:fs";
import { ConfigError } from "@/config/errors";
import type { LaunchConfig } from "@/config/launch-section";
import { providerSettings, type ProviderSettings } from "./providers";
import { createRefResolver, type RefResolver, type RefResolverOptions } from "./resolve-ref";

export interface LaunchServices {
  config: LaunchConfig;
  settings: ProviderSettings;
  resolver: RefResolver;
}

/** Reads the token files and makes the resolver. Throws ConfigError naming the option. */
export function createLaunchServices(config: LaunchConfig, seams: Pick<RefResolverOptions, "httpGet" | "lsRemote" | "now"> = {}): LaunchServices {
  const settings = providerSettings(config);
  const tokens = {
    github: readTokenFile(config.github.tokenFile, "launch.github.tokenFile"),
    gitlab: readTokenFile(config.gitlab.tokenFile, "launch.gitlab.tokenFile"),
  };
  const resolver = createRefResolver({
    settings,
    tokens,
    cacheSeconds: { github: config.github.refCacheSeconds, gitlab: config.gitlab.refCacheSeconds, git: config.git.refCacheSeconds },
    lsRemoteTimeoutSeconds: config.git.lsRemoteTimeoutSeconds,
    ...seams,
  });
  return { config, settings, resolver };
}

function readTokenFile(path: string | undefined, option: string): string | undefined {
  if (!path) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${option}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  if (!text) throw new ConfigError(`Invalid configuration: ${option}: ${path} is empty.`);
  return text;
}

/**
 * `launch.profile` must be a profile of the active spawner: `names` are all the profiles its
 * admin defined (SpawnOptionsProvider.profileNames; none for a spawner without profiles). Pure;
 * throws ConfigError.
 */
export function checkLaunchProfile(profile: string | undefined, names: readonly string[], spawnerKind: string): void {
  if (profile === undefined || names.includes(profile)) return;
  throw new ConfigError(
    names.length
      ? `Invalid configuration: launch.profile "${profile}" is not a profile of the ${spawnerKind} spawner (its profiles: ${names.join(", ")}).`
      : `Invalid configuration: launch.profile "${profile}" is set, but the ${spawnerKind} spawner has no profiles; remove launch.profile.`,
  );
}
