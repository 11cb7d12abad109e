// The batch spawner's I/O half as the hub starts it (spawners/batch/kind.ts): site job-script
// templates are read once, jobs call back through the hub's DB-backed channel
// (HubServices.batchCallbacks), each cluster's scheduler query is shared by the hub's replicas
// (HubServices.batchPolls), and a callback URL the compute nodes cannot reach is reported.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { HubServices, SpawnerKindRuntime } from "../kind";
import { listClusters, type BatchSpawnerConfig } from "./config";
import { DIALECTS } from "./dialects/index";
import { closeSharedPollers } from "./poller";
import { findLoopbackBind, findUnreachableCallbacks } from "./preflight";
import { runCommand } from "./run-command";
import { prefixCommand } from "./shell-quote";
import { BatchSpawner } from "./spawner";

export function startBatchSpawners(config: BatchSpawnerConfig, services: HubServices): SpawnerKindRuntime {
  const templates = new Map<string, string>();
  for (const c of listClusters(config)) if (c.jobScriptTemplate) templates.set(c.jobScriptTemplate, readFileSync(c.jobScriptTemplate, "utf8"));
  void warnAboutCallbacks(config, services);
  return {
    create: (ctx) => new BatchSpawner(ctx, config, { channel: services.batchCallbacks, pollShare: services.batchPolls, templates }),
    close: () => closeSharedPollers(),
  };
}

/**
 * At hub start: ask each cluster's scheduler for its execution hosts (or see that it is reached
 * over ssh) and warn when jobs would run elsewhere but call back a loopback URL, or a hub that
 * listens on loopback only.
 */
async function warnAboutCallbacks(config: BatchSpawnerConfig, services: HubServices): Promise<void> {
  const clusters = listClusters(config);
  const execHosts = new Map<string, string[] | null>();
  for (const c of clusters) {
    const d = DIALECTS[c.scheduler];
    if (!d.execHostsCommand || !d.parseExecHosts) continue;
    const r = await runCommand(prefixCommand(c.queryPrefix, d.execHostsCommand()), { timeoutMs: 10_000 }).catch(() => null);
    execHosts.set(c.name, r && r.exitCode === 0 ? d.parseExecHosts(r.stdout) : null);
  }
  const short = hostname().split(".")[0];
  const facts = { clusters, hubCallbackUrl: services.batchCallbacks.url, execHosts, thisHost: [hostname(), short, "localhost"] };
  for (const w of findUnreachableCallbacks(facts)) {
    services.log.warn({ cluster: w.cluster, callbackUrl: w.url, hosts: w.hosts }, w.message);
    services.warnAdmins(w.message);
  }
  const bind = findLoopbackBind({ ...facts, hub: services.hub });
  if (bind) {
    services.log.warn({ clusters: bind.clusters, bindHost: services.hub.bindHost }, bind.message);
    services.warnAdmins(bind.message);
  }
}
