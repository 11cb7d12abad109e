// The example kind's section, `spawner.example:` in a config that uses a catalog with it. Pure.
import { z } from "zod";

export const exampleSpawnerConfigSchema = z
  .object({
    greeting: z.string().min(1).default("hello").describe("What the example server says on <baseUrl>api/status."),
    sizes: z
      .array(z.string().regex(/^[a-z]+$/))
      .min(1)
      .default(["small", "large"])
      .describe("Sizes offered on the spawn form; the first is the default."),
  })
  .strict();

export type ExampleSpawnerConfig = z.infer<typeof exampleSpawnerConfigSchema>;
