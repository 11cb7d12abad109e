// Checks at hub start that tell an admin, before the first user waits, that jobs could not call
// the hub back: a loopback callback URL while the cluster's jobs run on other hosts. Pure.
import type { ResolvedCluster } from "./config";
import { isSshPrefix } from "./shell-quote";

export interface CallbackWarning {
  cluster: string;
  url: string;
  /** the execution hosts that are not this host ([] when the prefix is ssh and the hosts are unknown) */
  hosts: string[];
  message: string;
}

/** True for http://127.x, ::1 and localhost URLs. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/**
 * Clusters whose jobs would POST to a loopback URL from another host. A cluster counts as remote
 * when the scheduler lists an execution host that is not this one (`execHosts`: from sinfo /
 * qconf -sel; null when the query failed), or when its commands go through ssh and its hosts are
 * unknown.
 */
export function findUnreachableCallbacks(o: {
  clusters: ResolvedCluster[];
  hubCallbackUrl: string;
  execHosts: ReadonlyMap<string, string[] | null>;
  thisHost: string[];
}): CallbackWarning[] {
  const local = new Set(o.thisHost.map((h) => h.toLowerCase()));
  const out: CallbackWarning[] = [];
  for (const c of o.clusters) {
    const url = c.callbackUrl ? `${c.callbackUrl.replace(/\/+$/, "")}/hub/api/batch/callback` : o.hubCallbackUrl;
    if (!isLoopbackUrl(url)) continue;
    const hosts = o.execHosts.get(c.name);
    const remote = (hosts ?? []).filter((h) => !local.has(h.toLowerCase()) && !local.has(h.split(".")[0].toLowerCase()));
    const viaSsh = isSshPrefix(c.submitPrefix);
    if (!remote.length && !(viaSsh && !hosts)) continue;
    const option = c.name === "default" ? "hub.callbackUrl" : `spawner.batch.clusters.${c.name}.callbackUrl (or hub.callbackUrl)`;
    const where = remote.length ? `on ${remote.slice(0, 5).join(", ")}${remote.length > 5 ? ", …" : ""}` : "behind an ssh prefix, on other hosts";
    out.push({
      cluster: c.name,
      url,
      hosts: remote,
      message: `Jobs of cluster "${c.name}" run ${where}, but would call the hub back at ${url}, a loopback address those hosts cannot reach: set ${option} to a URL the compute nodes reach (docs/hpc.md, "Network").`,
    });
  }
  return out;
}
