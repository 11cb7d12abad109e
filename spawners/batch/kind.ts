// The batch spawner's catalog entry (spawners/catalog.ts): its config, its spawn form (profiles
// and bounded job options), what pages show of a job, the check of site job-script templates
// and, loaded when the hub starts the kind, its I/O half.
import { readFileSync } from "node:fs";
import type { SpawnerKind } from "../kind";
import { batchSpawnerConfigSchema, listClusters, resolveJob, type BatchSpawnerConfig } from "./config";
import { describeBatchState } from "./job-details";
import { checkJobScriptTemplate } from "./job-script";
import { batchSpawnOptions } from "./options-form";

export const batchSpawnerKind: SpawnerKind<BatchSpawnerConfig> = {
  summary: "HPC jobs via qsub/sbatch/bsub",
  configSchema: batchSpawnerConfigSchema,
  options: batchSpawnOptions,
  describeState: describeBatchState,
  checkConfig: checkTemplates,
  // jupyterhub-singleuser jobs log their users in themselves (BatchJobState.serverAuth)
  serverAuth: (state) => (state.serverAuth === "hub" ? "hub" : "proxy"),
  async start({ config, services }) {
    const { startBatchSpawners } = await import("./index");
    return startBatchSpawners(config, services);
  },
};

/**
 * Every site job-script template the config names is readable and usable: the hub refuses to
 * start otherwise, with the option, the file and the line.
 */
export function checkTemplates(config: BatchSpawnerConfig): string | null {
  const problems: string[] = [];
  for (const cluster of listClusters(config)) {
    const path = cluster.jobScriptTemplate;
    if (!path) continue;
    const option = cluster.name === "default" ? "spawner.batch.jobScriptTemplate" : `spawner.batch.clusters.${cluster.name}.jobScriptTemplate`;
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      problems.push(`${option}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      continue;
    }
    // blocks the config fills for jobs of this cluster must have a place in the template
    const jobs = config.profiles.filter((p) => (p.cluster ?? "default") === cluster.name).map((p) => resolveJob(config, { profile: p.name }));
    const needs = (["modules", "prologue", "epilogue"] as const).filter((b) => jobs.some((j) => j[b].length > 0));
    for (const p of checkJobScriptTemplate(text, needs)) problems.push(`${option} (${path}) line ${p.line}: ${p.message}`);
  }
  return problems.length ? problems.join("\n  - ") : null;
}
