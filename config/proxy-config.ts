// The proxy's configuration: its `proxy:` section (validated strictly, so a bad option stops it
// naming the option) and the few `hub:` keys it uses, from the same file and GYRE_* variables as
// the hub. It never builds the whole schema (no spawner catalog, no auth section): the hub
// validates the rest of the file, and the long-running proxy keeps only what it needs in memory.
import { resolve } from "node:path";
import { z } from "zod";
import { checkSections, readConfigFile } from "./config-file";
import { applyEnvOverrides } from "./env-overrides";
import { defaultHubUrl } from "./derived";
import { ConfigError, formatConfigError } from "./errors";
import { hubKeysForProxySchema } from "./hub-section";
import { proxyConfigSchema, type ProxyConfig } from "./proxy-section";
import { resolveSecret } from "./secrets";
import { defaultPublicUrl, resolveOriginPlan } from "@/proxy/origins/origin-plan";

const proxyPartSchema = z.object({
  hub: hubKeysForProxySchema.default(hubKeysForProxySchema.parse({})),
  proxy: proxyConfigSchema.default(proxyConfigSchema.parse({})),
});

type HubKeys = z.infer<typeof hubKeysForProxySchema>;

/** What the proxy runs with: its section, the route API token and the hub's secret resolved. */
export interface ProxySettings {
  proxy: ProxyConfig & { authToken: string; hubUrl: string };
  /** publicUrl and userDomain as configured (the proxy applies publicUrl's default with its --ip/--port flags) */
  hub: { secretKey: string; logLevel: HubKeys["logLevel"]; publicUrl: string | undefined; userDomain: string | undefined };
}

/** Validates the proxy's part of a parsed config file with its overrides. Throws ConfigError. */
export function parseProxyConfig(fileData: unknown, env: Record<string, string | undefined>, source: string | null): { hub: HubKeys; proxy: ProxyConfig } {
  const merged = applyEnvOverrides(checkSections(fileData, source), env);
  const result = proxyPartSchema.safeParse(merged, { reportInput: true });
  if (!result.success) throw new ConfigError(formatConfigError(result.error.issues, source, { schema: proxyPartSchema, data: merged }));
  return result.data;
}

/**
 * Loads the proxy's settings. The hub's secret and the route API token are resolved as the hub
 * resolves them (files generated in the data directory when unset), so a hub and a proxy started
 * from one config agree on both.
 */
export function loadProxyConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): ProxySettings {
  const file = readConfigFile(env, cwd);
  const { hub, proxy } = parseProxyConfig(file.data, env, file.source);
  const dataDir = resolve(file.baseDir, hub.dataDir);
  const secretKey = resolveSecret({ value: hub.secretKey, file: hub.secretKeyFile, generatedPath: resolve(dataDir, "secret.key"), option: "hub.secretKey" });
  const authToken = resolveSecret({
    value: proxy.authToken,
    file: proxy.authTokenFile,
    generatedPath: resolve(dataDir, "proxy-token"),
    option: "proxy.authToken",
  });
  // A user domain that cannot work stops the proxy here, naming the option, as it stops the hub.
  resolveOriginPlan({ publicUrl: hub.publicUrl ?? defaultPublicUrl(proxy), userDomain: hub.userDomain });
  return {
    proxy: { ...proxy, authToken, hubUrl: proxy.hubUrl ?? defaultHubUrl(hub) },
    hub: { secretKey, logLevel: hub.logLevel, publicUrl: hub.publicUrl, userDomain: hub.userDomain },
  };
}
