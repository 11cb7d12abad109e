// Launches on the Kubernetes spawner against a REAL kube-apiserver (scripts/kube/kube-up.sh), with
// real git over smart HTTP and the real agent. Stand-ins, as nothing here can run containers,
// build images or hold a registry: FakeKubelet (testing/fake-kubelet.ts) runs the pod's init
// container and server as local processes as the pod's runAsUser, and completes image build Jobs
// in place of the Job controller and the builder (no image is built or pushed; its name is
// checked). Run with `npm run test:kube` (take the kube lock).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeClient, loadKubeConfig, resetKubeClients } from "./client";
import { KubernetesSpawner } from "./index";
import { buildImageBuildJobName, buildLaunchImageRef } from "./launch-manifests";
import { FakeKubelet } from "./testing/fake-kubelet";
import { buildLabConfig, buildTestContext, setUpKubeLab, type KubeLab } from "./testing/kube-lab";
import { closeNamespaceWatches } from "./watch";
import type { KubernetesSpawnerConfig } from "./config";
import type { ProgressEvent, SpawnContext } from "../types";
import { SpawnError } from "../types";
import { buildPrepareSpec } from "../agent/agent-spec";
import { launchConfigSchema } from "@/config/launch-section";
import { startGitHttpServer, type GitHttpServer } from "@/app/_lib/launch/testing/git-http-server";
import { makeRepo, type TestRepo } from "@/app/_lib/launch/testing/git-repos";
import { writeWheel } from "@/app/_lib/launch/testing/wheelhouse";
import { runCellOverWebSocket } from "../testing/kernel-cell";

let lab: KubeLab;
let kubelet: FakeKubelet;
let config: KubernetesSpawnerConfig;
let srv: GitHttpServer;
const repos: Record<string, TestRepo> = {};
const root = mkdtempSync(join(tmpdir(), "gyre-kube-launch-"));
const wheelhouse = join(root, "wheels");

const NOTEBOOK = JSON.stringify({
  cells: [],
  metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
  nbformat: 4,
  nbformat_minor: 5,
});

before(async () => {
  chmodSync(root, 0o755);
  const gitRoot = join(root, "git");
  mkdirSync(gitRoot);
  repos.withreqs = makeRepo(gitRoot, "org/withreqs", { "requirements.txt": "gyredemo==1.0\n", "check.ipynb": NOTEBOOK });
  repos.badbuild = makeRepo(gitRoot, "org/badbuild", { "requirements.txt": "no-such-package-gyre==9.9\n" });
  repos.imaged = makeRepo(gitRoot, "org/imaged", { "apt.txt": "libgdal-dev\n", "index.ipynb": NOTEBOOK });
  srv = await startGitHttpServer({ root: gitRoot });
  writeWheel(wheelhouse, "gyredemo", "1.0", "VALUE = 'from the wheelhouse in the pod'\n");
  chmodSync(wheelhouse, 0o755);
  lab = await setUpKubeLab("gyre-launch");
  kubelet = new FakeKubelet({
    client: new KubeClient(loadKubeConfig({ kubeconfigPath: lab.kubeconfigPath })),
    namespace: lab.namespace,
    failBuildsOf: [`${srv.url}/org/badimage`],
  });
  await kubelet.start();
  config = buildLabConfig(lab);
});

after(async () => {
  await lab?.admin.core.deleteCollectionNamespacedPod({ namespace: lab.namespace, gracePeriodSeconds: 0 }).catch(() => {});
  await kubelet?.stop();
  await srv?.close();
  closeNamespaceWatches();
  resetKubeClients();
  rmSync(root, { recursive: true, force: true });
});

function launchContext(user: string, repo: string, commit: string): SpawnContext {
  const shortName = repo.split("/").pop()!;
  const spec = buildPrepareSpec({
    repoUrl: `${srv.url}/${repo}`,
    commit,
    ref: "main",
    targetDir: `~/launches/${shortName}-${commit.slice(0, 12)}`,
    allowHttp: true,
    platform: "local",
    config: launchConfigSchema.parse({ environment: { wheelhouse } }),
  });
  return { ...buildTestContext(user, { serverName: `${shortName}-${commit.slice(0, 8)}` }), launch: { spec, prepareTimeoutSeconds: 120 } };
}

async function collectProgress(spawner: KubernetesSpawner): Promise<ProgressEvent[]> {
  const out: ProgressEvent[] = [];
  for await (const ev of spawner.progress()) out.push(ev);
  return out;
}

/** Runs `code` in a new kernel of the server (Jupyter's REST API and kernel WebSocket) and returns its output. */
async function runInKernel(url: string, ctx: SpawnContext, code: string): Promise<string> {
  const headers = { Authorization: `token ${ctx.token}` };
  const k = (await (
    await fetch(`${url}${ctx.baseUrl}api/kernels`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "python3" }),
    })
  ).json()) as { id: string };
  return runCellOverWebSocket(`${url.replace(/^http/, "ws")}${ctx.baseUrl}api/kernels/${k.id}/channels`, code, { headers });
}

test("a launch without image builds: the init container (the agent, run by the fake kubelet) fetches the commit and builds a venv from the wheelhouse into the home; the server serves that folder and its kernel imports the package", async () => {
  const ctx = launchContext("lena", "org/withreqs", repos.withreqs.head());
  const spawner = new KubernetesSpawner(ctx, config);
  const progress = collectProgress(spawner);
  const { url } = await spawner.start();
  const events = await progress;
  const steps = [...new Set(events.map((e) => e.phase).filter(Boolean))];
  assert.deepEqual(steps, ["fetching", "building", "starting"], JSON.stringify(events.map((e) => [e.phase, e.message])));
  assert.equal(events.find((e) => e.cached !== undefined)?.cached, false, "the environment was built");

  const pod = await lab.admin.core.readNamespacedPod({ name: spawner.getState().podName as string, namespace: lab.namespace });
  assert.equal(pod.spec?.initContainers?.[0]?.name, "prepare");
  assert.ok(pod.spec?.containers[0].args?.includes(`--ServerApp.root_dir=/home/jovyan/launches/withreqs-${repos.withreqs.head().slice(0, 12)}`));
  const cm = await lab.admin.core.readNamespacedConfigMap({ name: spawner.getState().launchConfigMap as string, namespace: lab.namespace });
  assert.equal((JSON.parse(cm.data!["spec.json"]) as { environment: { platform: string } }).environment.platform, "kubernetes");

  // the server's root is the launch's folder: the notebook is at the top
  const nb = await fetch(`${url}${ctx.baseUrl}api/contents/check.ipynb`, { headers: { Authorization: `token ${ctx.token}` } });
  assert.equal(nb.status, 200);
  assert.equal((await runInKernel(url, ctx, "import gyredemo; print(gyredemo.VALUE)")).trim(), "from the wheelhouse in the pod");
  await spawner.stop();
  await assert.rejects(
    lab.admin.core.readNamespacedConfigMap({ name: cm.metadata!.name!, namespace: lab.namespace }),
    "the launch's ConfigMap is deleted with the pod",
  );
});

test("a launch whose environment fails to build fails with the agent's reason and the build log (from the init container's log)", async () => {
  const ctx = launchContext("lena", "org/badbuild", repos.badbuild.head());
  const spawner = new KubernetesSpawner(ctx, config);
  await assert.rejects(spawner.start(), (e: unknown) => {
    assert.ok(e instanceof SpawnError);
    assert.match(e.message, /no-such-package-gyre|pip/);
    assert.match(e.logTail ?? "", /no-such-package-gyre/);
    return true;
  });
  await spawner.stop();
});

test("image builds (Job controller and builder stood in for by the fake kubelet): the first launch of a commit creates the build Job and the pod runs the built image; the second launch of that commit builds nothing", async () => {
  const built = buildLabConfig(lab, { launchImageBuild: { enabled: true, registry: "registry.test/gyre-launches" } });
  const commit = repos.imaged.head();
  const image = buildLaunchImageRef("registry.test/gyre-launches", `${srv.url}/org/imaged`, commit);

  const first = new KubernetesSpawner(launchContext("mona", "org/imaged", commit), built);
  const progress = collectProgress(first);
  await first.start();
  const events = await progress;
  assert.ok(
    events.some((e) => e.phase === "building" && e.message.startsWith(`Building the image ${image}`)),
    JSON.stringify(events.map((e) => e.message)),
  );
  assert.ok(
    events.some((e) => e.phase === "building" && e.cached === true && /image built for this commit/.test(e.message)),
    "the agent installs nothing (apt.txt is the image's business)",
  );
  const job = await lab.admin.batch.readNamespacedJob({ name: buildImageBuildJobName(image), namespace: lab.namespace });
  assert.equal(job.metadata?.annotations?.["gyre.io/image"], image);
  assert.ok(job.spec?.template.spec?.containers[0].command?.includes(`--image-name=${image}`));
  assert.ok(job.spec?.template.spec?.containers[0].command?.includes(`--ref=${commit}`));
  const pod = await lab.admin.core.readNamespacedPod({ name: first.getState().podName as string, namespace: lab.namespace });
  assert.equal(pod.spec?.containers[0].image, image);
  assert.equal(pod.spec?.initContainers?.[0].image, image);
  assert.deepEqual(
    kubelet.builtImages.filter((i) => i === image),
    [image],
  );
  await first.stop();

  const second = new KubernetesSpawner(launchContext("nina", "org/imaged", commit), built);
  const again = collectProgress(second);
  await second.start();
  assert.ok((await again).some((e) => e.cached === true && /was built for this commit before/.test(e.message)));
  assert.deepEqual(
    kubelet.builtImages.filter((i) => i === image),
    [image],
    "no second build",
  );
  await second.stop();
});

test("a failed image build (the builder stand-in fails it) ends the launch with the Job's reason", async () => {
  const built = buildLabConfig(lab, { launchImageBuild: { enabled: true, registry: "registry.test/gyre-launches" } });
  const ctx = launchContext("olga", "org/badimage", "b".repeat(40));
  const spawner = new KubernetesSpawner(ctx, built);
  await assert.rejects(spawner.start(), /The image build failed \(BackoffLimitExceeded/);
  await spawner.stop();
});
