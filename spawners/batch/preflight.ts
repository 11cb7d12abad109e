// Checks at hub start that tell an admin, before the first user waits, that jobs could not call
// the hub back: a loopback callback URL, or a hub listening on loopback only, while the cluster's
// jobs run on other hosts. Pure.
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
  const out: CallbackWarning[] = [];
  for (const c of o.clusters) {
    const url = clusterCallbackUrl(c, o.hubCallbackUrl);
    if (!isLoopbackUrl(url)) continue;
    const remote = remoteHosts(c, o.execHosts, o.thisHost);
    if (!remote) continue;
    const option = c.name === "default" ? "hub.callbackUrl" : `spawner.batch.clusters.${c.name}.callbackUrl (or hub.callbackUrl)`;
    out.push({
      cluster: c.name,
      url,
      hosts: remote,
      message: `Jobs of cluster "${c.name}" run ${describeHosts(remote)}, but would call the hub back at ${url}, a loopback address those hosts cannot reach: set ${option} to a URL the compute nodes reach (docs/hpc.md, "Network").`,
    });
  }
  return out;
}

/** Why jobs on other hosts cannot reach a hub that listens on loopback only. */
export interface LoopbackBindWarning {
  /** the clusters whose jobs would call the hub's own port from other hosts */
  clusters: string[];
  message: string;
}

/**
 * The hub listens on a loopback address (hub.bindHost) while a cluster's jobs run on other hosts
 * and call back the hub's own port: nothing on those hosts can connect. A callback URL on another
 * port is taken to reach a front end (a reverse proxy on this host) that forwards to the hub, and
 * is not warned about; a loopback callback URL is (findUnreachableCallbacks says what to set).
 */
export function findLoopbackBind(o: {
  hub: { bindHost: string; port: number };
  clusters: ResolvedCluster[];
  hubCallbackUrl: string;
  execHosts: ReadonlyMap<string, string[] | null>;
  thisHost: string[];
}): LoopbackBindWarning | null {
  if (!isLoopbackHost(o.hub.bindHost)) return null;
  const affected = o.clusters.filter((c) => {
    const url = clusterCallbackUrl(c, o.hubCallbackUrl);
    return (isLoopbackUrl(url) || urlPort(url) === o.hub.port) && remoteHosts(c, o.execHosts, o.thisHost) !== null;
  });
  if (!affected.length) return null;
  const names = affected.map((c) => `"${c.name}" (${describeHosts(remoteHosts(c, o.execHosts, o.thisHost)!)})`).join(", ");
  return {
    clusters: affected.map((c) => c.name),
    message: `The hub listens on ${o.hub.bindHost} only (hub.bindHost), but jobs of cluster ${names} call it back from other hosts, which cannot connect: set hub.bindHost to 0.0.0.0 or an address the compute nodes reach, and open port ${o.hub.port} to them (docs/hpc.md, "Network").`,
  };
}

/** True for 127.x, ::1 and localhost. */
function isLoopbackHost(host: string): boolean {
  return isLoopbackUrl(`http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}/`);
}

function clusterCallbackUrl(c: ResolvedCluster, hubCallbackUrl: string): string {
  return c.callbackUrl ? `${c.callbackUrl.replace(/\/+$/, "")}/hub/api/batch/callback` : hubCallbackUrl;
}

function urlPort(url: string): number | null {
  try {
    const u = new URL(url);
    return Number(u.port || (u.protocol === "https:" ? 443 : 80));
  } catch {
    return null;
  }
}

/**
 * The execution hosts of `c` that are not this host; [] when its commands go through ssh and its
 * hosts are unknown (they are elsewhere); null when every job runs here.
 */
function remoteHosts(c: ResolvedCluster, execHosts: ReadonlyMap<string, string[] | null>, thisHost: string[]): string[] | null {
  const local = new Set(thisHost.map((h) => h.toLowerCase()));
  const hosts = execHosts.get(c.name);
  const remote = (hosts ?? []).filter((h) => !local.has(h.toLowerCase()) && !local.has(h.split(".")[0].toLowerCase()));
  if (remote.length) return remote;
  return isSshPrefix(c.submitPrefix) && !hosts ? [] : null;
}

function describeHosts(remote: string[]): string {
  return remote.length ? `on ${remote.slice(0, 5).join(", ")}${remote.length > 5 ? ", …" : ""}` : "behind an ssh prefix, on other hosts";
}
