// Issue 6 in Chromium: the hub with the Kubernetes spawner against a REAL kube-apiserver 1.20.2 +
// etcd (scripts/kube/kube-up.sh; run scripts/kube/build-apiserver.sh once before), with the fake
// kubelet, a TEST STAND-IN for scheduler + kubelet (there is no container runtime here, so image
// names are ignored and each pod's command runs as a local Jupyter server). A Kubernetes profile →
// progress from pod events → the notebook through the proxy → stop → pod gone, claim kept.
// Without the API server binary this spec fails, it does not skip.
import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import type { V1Pod } from "@kubernetes/client-node";
import { createUser, login, startGyre, type Gyre } from "./harness";
import { KubeClient, getApiStatusCode, loadKubeConfig } from "@/spawners/kubernetes/client";
import { FakeKubelet } from "@/spawners/kubernetes/testing/fake-kubelet";

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const NAMESPACE = `gyre-e2e-${randomBytes(3).toString("hex")}`;
const USER = "kube-alice";
const PASSWORD = "alice-password-1";
let g: Gyre;
let kubelet: FakeKubelet;
let admin: KubeClient;

test.beforeAll(async () => {
  execFileSync("bash", [join(ROOT, "scripts/kube/kube-up.sh")], { stdio: ["ignore", "ignore", "inherit"], timeout: 120_000 });
  const kubeconfigPath = join(process.env.GYRE_KUBE_STATE ?? "/tmp/gyre-kube", "kubeconfig");
  admin = new KubeClient(loadKubeConfig({ kubeconfigPath }));
  await admin.core.createNamespace({ body: { metadata: { name: NAMESPACE, labels: { "gyre.io/test": "true" } } } });
  kubelet = new FakeKubelet({
    client: admin,
    namespace: NAMESPACE,
    logPort: 7297,
    portRange: [7280, 7296],
    stepDelayMs: 600,
  });
  await kubelet.start();
  g = await startGyre({
    basePort: 7850,
    env: {
      GYRE_SPAWNER__KIND: "kubernetes",
      GYRE_SPAWNER__KUBERNETES__KUBECONFIG_PATH: kubeconfigPath,
      GYRE_SPAWNER__KUBERNETES__NAMESPACE: NAMESPACE,
      // run locally by the fake kubelet; the images below are ignored (no container runtime here)
      GYRE_SPAWNER__KUBERNETES__COMMAND: JSON.stringify(["/usr/bin/jupyter", "server"]),
      GYRE_SPAWNER__KUBERNETES__STOP_GRACE_SECONDS: "3",
      GYRE_SPAWNER__KUBERNETES__PROFILES: JSON.stringify([
        { name: "small", displayName: "Small", description: "1 CPU, 2 GiB", default: true, overrides: { cpuLimit: 1, memoryLimitBytes: "2Gi" } },
        {
          name: "large",
          displayName: "Large",
          description: "4 CPUs, 16 GiB",
          overrides: { cpuLimit: 4, memoryLimitBytes: "16Gi", image: "quay.io/jupyter/scipy-notebook:2024-12-09" },
        },
      ]),
    },
  });
  await createUser(g, USER, PASSWORD);
});

test.afterAll(async () => {
  await g?.stop();
  await admin?.core.deleteCollectionNamespacedPod({ namespace: NAMESPACE, gracePeriodSeconds: 0 }).catch(() => {});
  await kubelet?.stop();
});

async function readPod(name: string): Promise<V1Pod | null> {
  try {
    return await admin.core.readNamespacedPod({ name, namespace: NAMESPACE });
  } catch (e) {
    if (getApiStatusCode(e) === 404) return null;
    throw e;
  }
}

test("pick a Kubernetes profile on the spawn form → progress from pod events → notebook through the proxy → stop: pod gone, claim kept", async ({ page }) => {
  await login(page, g, USER, PASSWORD);
  await page.goto(`${g.url}/hub/home`);
  await page.getByTestId("start-server").click();
  await expect(page.getByTestId("spawn-form")).toBeVisible();
  await page.getByTestId("profile-large").click();
  await page.getByTestId("spawn-form").getByTestId("start-server").click();
  await expect(page).toHaveURL(new RegExp(`/hub/spawn-pending/${USER}`));
  const events = page.getByTestId("spawn-events");
  await expect(events).toContainText("Your server has a node.");
  await expect(events).toContainText('Pulling image "quay.io/jupyter/scipy-notebook:2024-12-09"');
  await expect(events).toContainText("Server started; waiting for it to answer.");
  await page.waitForURL(new RegExp(`/user/${USER}/`), { timeout: 90_000 });

  const pod = await readPod(`jupyter-${USER.replace("-", "-2d")}`);
  expect(pod?.metadata?.annotations?.["gyre.io/profile"]).toBe("large");
  expect(pod?.spec?.containers[0].resources?.limits?.cpu).toBe("4");
  expect(pod?.spec?.nodeName).toBe("lab-node-1");

  // the notebook UI through the proxy (the proxy adds the server's token)
  await page.goto(`${g.url}/user/${USER}/tree`);
  await expect(page).toHaveURL(new RegExp(`/user/${USER}/tree`));
  const contents = await page.request.get(`${g.url}/user/${USER}/api/contents`);
  expect(contents.status()).toBe(200);

  await page.goto(`${g.url}/hub/home`);
  await page.getByTestId("stop-server").click();
  await expect(page.getByTestId("server-status")).toHaveAttribute("data-state", "stopped", { timeout: 60_000 });
  await expect.poll(async () => readPod(pod!.metadata!.name!), { timeout: 20_000 }).toBeNull();
  const claim = await admin.core.readNamespacedPersistentVolumeClaim({ name: `claim-${USER.replace("-", "-2d")}`, namespace: NAMESPACE });
  expect(claim.metadata?.name).toBeTruthy();
  expect(kubelet.countRunning()).toBe(0);
});
