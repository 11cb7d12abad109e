// Gyre's whole configuration, declared once: one file per section, the `spawner:` section derived
// from the spawner catalog. docs/config.md and gyre.config.example.yaml are generated from these
// schemas (npm run docs:config); a test keeps them in sync. The proxy validates only its part
// (config/proxy-config.ts); the hub validates all of it.
import { z } from "zod";
import type { SpawnerCatalog } from "@/spawners/kind";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { authSectionSchema } from "./auth-section";
import { cullingSectionSchema } from "./culling-section";
import { usageSectionSchema } from "./usage-section";
import { hubSectionSchema } from "./hub-section";
import { launchConfigSchema } from "./launch-section";
import { proxyConfigSchema } from "./proxy-section";
import { groupsSectionSchema } from "./groups-section";
import { rolesSectionSchema } from "./roles-section";
import { servicesSectionSchema } from "./services-section";
import { buildSpawnerSectionSchema } from "./spawner-section";

/** The whole configuration for a spawner catalog (the hub's is spawners/catalog.ts; tests add kinds). */
export function buildConfigSchema<C extends SpawnerCatalog>(catalog: C) {
  const spawner = buildSpawnerSectionSchema(catalog);
  return z
    .object({
      hub: hubSectionSchema.default(hubSectionSchema.parse({})),
      proxy: proxyConfigSchema.default(proxyConfigSchema.parse({})),
      auth: authSectionSchema.default(authSectionSchema.parse({})),
      spawner: spawner.default(spawner.parse({})),
      culling: cullingSectionSchema.default(cullingSectionSchema.parse({})),
      launch: launchConfigSchema.default(launchConfigSchema.parse({})),
      usage: usageSectionSchema.default(usageSectionSchema.parse({})),
      services: servicesSectionSchema,
      roles: rolesSectionSchema,
      groups: groupsSectionSchema,
    })
    .strict();
}

/** The configuration of this build of the hub. */
export const configSchema = buildConfigSchema(SPAWNER_KINDS);

/** A validated configuration (defaults filled in) for catalog `C`. */
export type ConfigFor<C extends SpawnerCatalog> = z.infer<ReturnType<typeof buildConfigSchema<C>>>;
export type GyreConfig = ConfigFor<typeof SPAWNER_KINDS>;
