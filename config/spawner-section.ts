// The `spawner:` section, derived from a spawner catalog (spawners/catalog.ts): `kind` chooses
// among the catalog's kinds (the first is the default) and every kind has its section under its
// own name, so adding a kind to the catalog adds both.
import { z } from "zod";
import type { SpawnerCatalog, SpawnerSection } from "@/spawners/kind";

export function buildSpawnerSectionSchema<C extends SpawnerCatalog>(catalog: C): z.ZodType<SpawnerSection<C>> {
  const kinds = Object.keys(catalog) as Array<keyof C & string>;
  if (kinds.length === 0) throw new Error("a spawner catalog needs at least one kind");
  const sections: Record<string, z.ZodType> = {};
  for (const kind of kinds) {
    const schema = catalog[kind].configSchema;
    sections[kind] = schema.default(schema.parse({}));
  }
  const choices = kinds.map((k) => `${k} (${catalog[k].summary})`).join(", ");
  return z
    .object({
      kind: z
        .enum(kinds as [keyof C & string, ...Array<keyof C & string>])
        .default(kinds[0])
        .describe(`Spawner for new servers: ${choices}.`),
      ...sections,
    })
    .strict() as unknown as z.ZodType<SpawnerSection<C>>;
}
