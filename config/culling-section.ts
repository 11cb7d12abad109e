// The `culling:` section: stopping idle servers (app/_lib/servers/culler.ts).
import { z } from "zod";

export const cullingSectionSchema = z
  .object({
    enabled: z.boolean().default(false).describe("Stop servers that have been idle (no proxied activity) for timeoutSeconds."),
    timeoutSeconds: z.number().int().positive().default(3600).describe("Idle time after which a server is stopped."),
    everySeconds: z.number().int().positive().default(300).describe("How often the culler looks."),
    maxAgeSeconds: z.number().int().nonnegative().default(0).describe("Stop servers older than this even if active (0: no limit)."),
    removeUsers: z.boolean().default(false).describe("Also delete users without servers who have been inactive for timeoutSeconds (never admins)."),
  })
  .strict();
