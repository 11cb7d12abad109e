// Helpers for the *.kube.test.ts suites: the real kube-apiserver started by scripts/kube/kube-up.sh
// (idempotent: about 0.1 s when it is already up), a fresh namespace per test file (namespace
// deletion never finishes without a controller-manager), spawn contexts and configs.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import type { SpawnContext, SpawnLogger } from "@/spawners/types";
import { KubeClient, loadKubeConfig } from "../client";
import { kubernetesSpawnerConfigSchema, type KubernetesSpawnerConfig } from "../config";

export const REPO = resolve(import.meta.dirname, "../../..");
export const KUBE_STATE = process.env.GYRE_KUBE_STATE ?? "/tmp/gyre-kube";

export interface KubeLab {
  kubeconfigPath: string;
  /** a new namespace, created for this test file */
  namespace: string;
  /** a client of its own, for test set-up and checks (not counted as the spawner's) */
  admin: KubeClient;
}

/** Runs kube-up.sh (extra env for a second instance) and returns the kubeconfig it wrote. */
export function kubeUp(env: Record<string, string> = {}): string {
  const run = () =>
    execFileSync("bash", [join(REPO, "scripts/kube/kube-up.sh")], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "inherit"],
      timeout: 120_000,
    });
  try {
    run();
  } catch {
    // Once seen: kube-up failing while an apiserver stopped by an earlier test was still draining
    // its port (it may linger >10 s after SIGTERM). The script is idempotent: retry once.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
    run();
  }
  return env.GYRE_KUBE_INSTANCE ? join(KUBE_STATE, `kubeconfig-${env.GYRE_KUBE_INSTANCE}`) : join(KUBE_STATE, "kubeconfig");
}

/** The API server is up, and a fresh namespace named `<prefix>-<random>` exists. */
export async function setUpKubeLab(prefix: string): Promise<KubeLab> {
  const kubeconfigPath = kubeUp();
  const admin = new KubeClient(loadKubeConfig({ kubeconfigPath }));
  const namespace = `${prefix}-${randomBytes(3).toString("hex")}`;
  await admin.core.createNamespace({ body: { metadata: { name: namespace, labels: { "gyre.io/test": "true" } } } });
  return { kubeconfigPath, namespace, admin };
}

/** A spawner config for the lab: the given namespace and kubeconfig, plus `extra`. */
export function buildLabConfig(lab: Pick<KubeLab, "kubeconfigPath" | "namespace">, extra: Record<string, unknown> = {}): KubernetesSpawnerConfig {
  return kubernetesSpawnerConfigSchema.parse({
    namespace: lab.namespace,
    kubeconfigPath: lab.kubeconfigPath,
    // the fake kubelet runs this locally; the image is ignored (no container runtime here)
    command: ["/usr/bin/jupyter", "server"],
    image: "quay.io/jupyter/base-notebook:2024-12-09",
    stopGraceSeconds: 5,
    startTimeoutSeconds: 60,
    ...extra,
  });
}

export const silentLog: SpawnLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** A spawn context for `user` (server name "" unless given), with a random spawn id and token. */
export function buildTestContext(
  user: string,
  opts: { serverName?: string; options?: SpawnContext["options"]; groups?: string[]; admin?: boolean } = {},
): SpawnContext {
  const serverName = opts.serverName ?? "";
  const baseUrl = `/user/${encodeURIComponent(user)}/${serverName ? `${encodeURIComponent(serverName)}/` : ""}`;
  return {
    user: { name: user, osUser: user, admin: opts.admin ?? false, groups: opts.groups ?? [] },
    serverName,
    baseUrl,
    spawnId: randomBytes(8).toString("hex"),
    token: randomBytes(16).toString("hex"),
    apiToken: randomBytes(24).toString("base64url"),
    hubUrl: "http://127.0.0.1:8081",
    options: opts.options ?? {},
    env: { GYRE_USER: user },
    log: silentLog,
  };
}
