// The `usage:` section: how the hub records what servers use (app/_lib/usage/).
import { z } from "zod";

export const usageSectionSchema = z
  .object({
    sampleSeconds: z
      .number()
      .int()
      .min(5)
      .default(60)
      .describe(
        "How often the usage of running servers is sampled and stored: CPU time and memory of local servers' process trees (from /proc), batch jobs' accounting. A hub restart loses at most this much; peaks shorter than it may be missed.",
      ),
    rollupSeconds: z
      .number()
      .int()
      .min(10)
      .default(300)
      .describe("How often each user's server hours over the last 30 days are recomputed (the users view sorts by them)."),
    settleHours: z
      .number()
      .positive()
      .default(6)
      .describe(
        "How long after a batch job ended the hub keeps asking the scheduler's accounting (Slurm sacct, Grid Engine qacct) for its final CPU time and memory before it keeps what it has.",
      ),
  })
  .strict();
