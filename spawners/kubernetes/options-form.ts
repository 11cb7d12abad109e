// The Kubernetes spawner's spawn form: the admin's profiles this user may pick (group-restricted,
// all of them for admins), as plain data for the hub's /hub/spawn page, and the check of a start
// request's options against the same rules. Pure: no client-node here, so the Next bundle may
// import it through spawners/spawn-options.ts.
import { SpawnOptionsError, type JsonObject, type SpawnFormUser, type SpawnOptionsForm, type SpawnOptionsProvider } from "../types";
import { ProfileError, formatProfileSummary, profilesForUser, resolveProfile, type KubernetesSpawnerConfig } from "./config";

/**
 * The form for `user`: the profiles they may pick, the default one preselected. null when there is
 * nothing to choose (no profiles, or only one), so the hub shows a plain Start button.
 */
export function describeKubernetesOptions(config: KubernetesSpawnerConfig, user: SpawnFormUser): SpawnOptionsForm | null {
  const profiles = profilesForUser(config.profiles, user.groups, user.admin);
  if (profiles.length <= 1) return null;
  return {
    profiles: profiles.map((p) => ({
      name: p.name,
      display: p.displayName,
      description: p.description || formatProfileSummary(resolveProfile(config, p.name).settings),
    })),
    defaultProfile: (profiles.find((p) => p.default) ?? profiles[0]).name,
    fields: [],
  };
}

/**
 * A start request's options: `{}` or `{"profile": "<name>"}` with a profile `user` may use.
 * Returns what Server.options stores (the chosen profile named when the hub has profiles).
 * Throws SpawnOptionsError naming the field.
 */
export function validateKubernetesOptions(config: KubernetesSpawnerConfig, user: SpawnFormUser, raw: unknown): JsonObject {
  const body = raw ?? {};
  if (typeof body !== "object" || Array.isArray(body)) throw new SpawnOptionsError("The body must be a JSON object of server options.");
  const unknown = Object.keys(body).filter((k) => k !== "profile");
  if (unknown.length)
    throw new SpawnOptionsError(
      `Invalid spawn options: unknown option(s) ${unknown.map((k) => `"${k}"`).join(", ")} (this hub accepts profile only)`,
      unknown[0],
    );
  const requested = (body as { profile?: unknown }).profile;
  if (requested !== undefined && requested !== null && typeof requested !== "string")
    throw new SpawnOptionsError('Invalid spawn option "profile": a profile name', "profile");
  try {
    const { profile } = resolveProfile(config, requested || undefined, { groups: user.groups, isAdmin: user.admin });
    return profile ? { profile: profile.name } : {};
  } catch (e) {
    if (e instanceof ProfileError) throw new SpawnOptionsError(e.message, "profile");
    throw e;
  }
}

/** The Kubernetes spawner's form, for spawners/spawn-options.ts and the factory. */
export const kubernetesSpawnOptions: SpawnOptionsProvider<KubernetesSpawnerConfig> = {
  listProfiles: (config) => config.profiles.map((p) => ({ name: p.name, display: p.displayName, groups: [...p.groups] })),
  describeOptions: describeKubernetesOptions,
  profileNames: (config) => config.profiles.map((p) => p.name),
  validateOptions: validateKubernetesOptions,
};
