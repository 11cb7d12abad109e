// FakeKubelet: a TEST STAND-IN for the scheduler and the kubelet, for running the Kubernetes
// spawner against a real kube-apiserver that has neither (scripts/kube/kube-up.sh starts only the
// apiserver and etcd: no scheduler, kubelet or controller-manager). Not for production.
//
// For each pod of its namespace it does what the real components would, through the real API:
//   scheduler: binds the pod to a fake Node (created if missing), posts Scheduled;
//   kubelet:   posts Pulling/Pulled (there is NO container runtime here: image names are ignored),
//              Created, Started; runs the container's command as a LOCAL process (a real Jupyter
//              server with JUPYTER_TOKEN read from the pod's Secret, as the pod's non-root
//              runAsUser when the test runs as root); patches the status Running with podIP
//              127.0.0.1 and, once the readiness probe answers, Ready; reports an exit as a
//              terminated container; serves pods/log (the API server asks the Node's
//              kubeletEndpoint); honours deletion (kills the process, then DELETE with grace 0,
//              because nothing else finalises a bound pod);
//   PV controller: marks claims Bound;
//   init containers: run one after the other before the container, each as a local process with
//              its own log (pods/log?container=…); a failing one fails the pod, as a kubelet does
//              with restartPolicy Never; ConfigMap volumes become local folders with their keys (or
//              their items' paths), read-only by mode only (there are no mount namespaces here);
//   Job controller + image builder (launch image builds): there is no container runtime or
//              registry, so a new Job is completed (status Complete) after `buildDelayMs` without
//              building anything, or failed when its gyre.io/repo annotation is in `failBuildsOf`;
//              `builtImages` lists the images it "built".
// Because every pod runs on 127.0.0.1 they cannot all listen on 8888: each gets a free port from
// `portRange`, reported through the gyre.io/server-port annotation (manifests.ts), and the
// claim's mount path is mapped to a local directory so that files outlive the pod.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, constants as fsc } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer as createNetServer } from "node:net";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { request as httpRequest } from "node:http";
import {
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type CoreV1Event,
  type Informer,
  type KubernetesObject,
  type V1Container,
  type V1Job,
  type V1PersistentVolumeClaim,
  type V1Pod,
} from "@kubernetes/client-node";
import { getApiStatusCode, type KubeClient } from "../client";
import { SERVER_PORT_ANNOTATION } from "../manifests";

export interface FakeKubeletOptions {
  /** its own client (so that its requests do not count as the spawner's) */
  client: KubeClient;
  namespace: string;
  /** default "lab-node-1" */
  nodeName?: string;
  /** ports for servers, inclusive (default 7250–7298) */
  portRange?: [number, number];
  /** port of the pods/log endpoint (default 7299) */
  logPort?: number;
  /**
   * "http" (default): Ready once the container's readinessProbe httpGet answers 200 on its port.
   * "process": Ready as soon as the process runs (trivial commands without a server, for
   * load tests with many pods).
   */
  readiness?: "http" | "process";
  /** pause after each event, so that a progress page can be watched step by step (default 0) */
  stepDelayMs?: number;
  /** the Job stand-in: how long a "build" takes (default 500 ms) */
  buildDelayMs?: number;
  /** the Job stand-in: repositories (a Job's gyre.io/repo annotation) whose builds fail */
  failBuildsOf?: string[];
  log?: (message: string) => void;
}

interface RunningPod {
  uid: string;
  name: string;
  /** the container whose log is `logFile` (init containers log to `<logFile>.<name>`) */
  mainContainer: string;
  child: ChildProcess | null;
  port: number | null;
  logFile: string;
  deleting: boolean;
  exited: boolean;
  /** status patches in order: an exit must never be overwritten by a late "Running" */
  statusChain: Promise<void>;
}

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** The scheduler + kubelet + PV controller stand-in described at the top of this file. */
export class FakeKubelet {
  readonly nodeName: string;
  /**
   * Its own directory for local volumes, logs and the log endpoint's certificate, removed by
   * stop(): what a test checks of a pod it reads through the API (pods/log), not from here.
   */
  private readonly stateDir = mkdtempSync(join(tmpdir(), "gyre-fake-kubelet-"));
  private readonly pods = new Map<string, RunningPod>();
  private readonly usedPorts = new Set<number>();
  private podInformer: Informer<V1Pod> | null = null;
  private jobInformer: Informer<V1Job> | null = null;
  /** images the Job stand-in completed, in order */
  readonly builtImages: string[] = [];
  private readonly handledJobs = new Set<string>();
  private pvcInformer: Informer<V1PersistentVolumeClaim> | null = null;
  private logServer: HttpsServer | null = null;
  private stopped = false;
  private readonly log: (m: string) => void;

  constructor(private readonly opts: FakeKubeletOptions) {
    this.nodeName = opts.nodeName ?? "lab-node-1";
    this.log = opts.log ?? (() => {});
  }

  private get core() {
    return this.opts.client.core;
  }

  /** Creates the Node, starts the log endpoint and the pod and claim watches. */
  async start(): Promise<void> {
    // pods run as their non-root runAsUser and must reach their volume directories in here
    // (mkdtemp makes 0700 directories)
    chmodSync(this.stateDir, 0o755);
    const logPort = await this.startLogServer();
    await this.ensureNode(logPort);
    const ns = this.opts.namespace;
    const kc = this.opts.client.kc;
    this.podInformer = makeInformer<V1Pod>(kc, `/api/v1/namespaces/${ns}/pods`, () => this.core.listNamespacedPod({ namespace: ns }));
    const onPod = (pod: V1Pod) => void this.handlePod(pod).catch((e) => this.log(`pod ${pod.metadata?.name}: ${(e as Error).message}`));
    this.podInformer.on("add", onPod);
    this.podInformer.on("update", onPod);
    this.podInformer.on("delete", (pod) => void this.killPod(pod.metadata?.uid ?? "", 0));
    this.podInformer.on("error", () => this.restartLater(this.podInformer));
    this.pvcInformer = makeInformer<V1PersistentVolumeClaim>(kc, `/api/v1/namespaces/${ns}/persistentvolumeclaims`, () =>
      this.core.listNamespacedPersistentVolumeClaim({ namespace: ns }),
    );
    const onPvc = (pvc: V1PersistentVolumeClaim) => void this.bindClaim(pvc).catch((e) => this.log(`pvc ${pvc.metadata?.name}: ${(e as Error).message}`));
    this.pvcInformer.on("add", onPvc);
    this.pvcInformer.on("update", onPvc);
    this.pvcInformer.on("error", () => this.restartLater(this.pvcInformer));
    this.jobInformer = makeInformer<V1Job>(kc, `/apis/batch/v1/namespaces/${ns}/jobs`, () => this.opts.client.batch.listNamespacedJob({ namespace: ns }));
    const onJob = (job: V1Job) => void this.completeJob(job).catch((e) => this.log(`job ${job.metadata?.name}: ${(e as Error).message}`));
    this.jobInformer.on("add", onJob);
    this.jobInformer.on("error", () => this.restartLater(this.jobInformer));
    await Promise.all([this.podInformer.start(), this.pvcInformer.start(), this.jobInformer.start()]);
  }

  /**
   * Stops watching, kills every process it started (pods stay in the API: a node went away) and
   * removes its directory.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.podInformer?.stop(), this.pvcInformer?.stop(), this.jobInformer?.stop()]);
    const exits: Promise<unknown>[] = [];
    for (const p of this.pods.values()) {
      if (p.child && p.child.exitCode === null && p.child.signalCode === null) exits.push(once(p.child, "exit"));
      killGroup(p.child, "SIGKILL");
    }
    this.pods.clear();
    // the API server keeps its connections to the log endpoint alive: close() alone waits for them to idle out
    this.logServer?.closeAllConnections();
    await new Promise<void>((r) => (this.logServer ? this.logServer.close(() => r()) : r()));
    // the pods' processes (their own accounts' files in here) are gone before it goes
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5000).unref())]);
    rmSync(this.stateDir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Number of pod processes alive now. */
  countRunning(): number {
    return [...this.pods.values()].filter((p) => p.child && !p.exited).length;
  }

  private restartLater(informer: Informer<KubernetesObject> | null): void {
    if (this.stopped || !informer) return;
    setTimeout(() => {
      if (!this.stopped) informer.start().catch(() => this.restartLater(informer));
    }, 1000);
  }

  // --- node and log endpoint ------------------------------------------------------------------

  private async ensureNode(logPort: number): Promise<void> {
    try {
      await this.core.createNode({
        body: { apiVersion: "v1", kind: "Node", metadata: { name: this.nodeName, labels: { "kubernetes.io/hostname": this.nodeName } } },
      });
    } catch (e) {
      if (getApiStatusCode(e) !== 409) throw e;
    }
    // Where the API server fetches pods/log from.
    await this.core.patchNodeStatus(
      {
        name: this.nodeName,
        body: {
          status: {
            // no Hostname address: the API server would try it first, and "lab-node-1" does not resolve
            addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
            daemonEndpoints: { kubeletEndpoint: { Port: logPort } },
            conditions: [
              {
                type: "Ready",
                status: "True",
                reason: "FakeKubeletReady",
                message: "test stand-in",
                lastHeartbeatTime: new Date().toISOString(),
                lastTransitionTime: new Date().toISOString(),
              },
            ],
          },
        },
      },
      MERGE_PATCH,
    );
  }

  /** HTTPS GET /containerLogs/<ns>/<pod>/<container>?tailLines=N, as the API server asks a kubelet. */
  private async startLogServer(): Promise<number> {
    const keyFile = join(this.stateDir, "kubelet.key");
    const certFile = join(this.stateDir, "kubelet.crt");
    if (!existsSync(certFile)) {
      execFileSync(
        "openssl",
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=fake-kubelet", "-keyout", keyFile, "-out", certFile],
        { stdio: "ignore" },
      );
    }
    const server = createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
      const url = new URL(req.url ?? "/", "https://x");
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      const pod = m ? [...this.pods.values()].find((p) => p.name === decodeURIComponent(m[2])) : undefined;
      const file = pod && m && decodeURIComponent(m[3]) !== pod.mainContainer ? `${pod.logFile}.${decodeURIComponent(m[3])}` : pod?.logFile;
      if (!pod || !file || !existsSync(file)) {
        res.writeHead(404).end("no such container");
        return;
      }
      const lines = readFileSync(file, "utf8").split("\n");
      const tail = Number(url.searchParams.get("tailLines") ?? "0");
      res.writeHead(200, { "content-type": "text/plain" }).end(tail > 0 ? lines.slice(-tail - 1).join("\n") : lines.join("\n"));
    });
    const wanted = this.opts.logPort ?? 7299;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(wanted, "127.0.0.1", () => resolve());
    });
    this.logServer = server;
    return wanted;
  }

  // --- pods -------------------------------------------------------------------------------------

  private async handlePod(pod: V1Pod): Promise<void> {
    if (this.stopped) return;
    const uid = pod.metadata?.uid ?? "";
    const name = pod.metadata?.name ?? "";
    // pods bound to another node are that node's business (tests use this for a lost node)
    if (pod.spec?.nodeName && pod.spec.nodeName !== this.nodeName) return;
    if (pod.metadata?.deletionTimestamp) {
      await this.finalisePod(pod);
      return;
    }
    if (this.pods.has(uid) || pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return;
    const running: RunningPod = {
      uid,
      name,
      mainContainer: pod.spec?.containers[0]?.name ?? "",
      child: null,
      port: null,
      logFile: join(this.stateDir, "logs", `${this.opts.namespace}_${name}_${uid}.log`),
      deleting: false,
      exited: false,
      statusChain: Promise.resolve(),
    };
    this.pods.set(uid, running);
    mkdirSync(join(this.stateDir, "logs"), { recursive: true });

    // scheduler
    if (!pod.spec?.nodeName) {
      try {
        await this.core.createNamespacedPodBinding({
          name,
          namespace: this.opts.namespace,
          body: { apiVersion: "v1", kind: "Binding", metadata: { name }, target: { apiVersion: "v1", kind: "Node", name: this.nodeName } },
        });
      } catch (e) {
        if (getApiStatusCode(e) !== 409) throw e;
      }
      await this.postEvent(pod, "Scheduled", `Successfully assigned ${this.opts.namespace}/${name} to ${this.nodeName}`, "default-scheduler");
    }

    // kubelet
    const container = pod.spec!.containers[0];
    await this.postEvent(pod, "Pulling", `Pulling image "${container.image}"`);
    await this.postEvent(pod, "Pulled", `Successfully pulled image "${container.image}" in 0s (fake kubelet: no container runtime, the image is ignored)`);
    let env: Record<string, string>;
    try {
      env = await this.containerEnv(container);
    } catch (err) {
      await this.patchStatus(pod, {
        phase: "Pending",
        containerStatuses: [
          {
            name: container.name,
            image: container.image,
            imageID: "",
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: "CreateContainerConfigError", message: (err as Error).message } },
          },
        ],
      });
      this.pods.delete(uid);
      throw err;
    }

    mkdirSync(join(this.stateDir, "pods", uid), { recursive: true, mode: 0o755 });
    const uidGid = { uid: pod.spec?.securityContext?.runAsUser ?? 1000, gid: pod.spec?.securityContext?.runAsGroup ?? 100 };
    const asRoot = process.getuid?.() === 0;
    // volumes: the claim (or emptyDir, or ConfigMap) becomes a local directory mounted nowhere, passed by path
    const volumeDirs = await this.volumeDirs(pod, uidGid, asRoot);
    const mountsOf = (c: V1Container) =>
      new Map((c.volumeMounts ?? []).filter((m) => volumeDirs.has(m.name)).map((m) => [m.mountPath, volumeDirs.get(m.name)!]));
    const mounts = mountsOf(container);
    const runtimeDir = join(this.stateDir, "pods", uid, "runtime");
    mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    if (asRoot) chownSync(runtimeDir, uidGid.uid, uidGid.gid);
    // the working directory, and as HOME (which a real image sets) the mount it lies in
    const workDir = container.workingDir ? mapPaths(container.workingDir, mounts) : runtimeDir;
    const homeMount = [...mounts.keys()]
      .filter((m) => container.workingDir === m || container.workingDir?.startsWith(`${m}/`))
      .sort((a, b) => b.length - a.length)[0];
    env.HOME = homeMount ? mounts.get(homeMount)! : workDir;
    env.JUPYTER_RUNTIME_DIR = runtimeDir;
    for (const [k, v] of Object.entries(env)) env[k] = mapPaths(v, mounts);

    for (const [i, init] of (pod.spec?.initContainers ?? []).entries()) {
      if (running.deleting || this.stopped) return;
      const ok = await this.runInitContainer(pod, running, init, i, { uidGid, asRoot, mounts: mountsOf(init), runtimeDir });
      if (!ok) return;
    }

    // "process" readiness is for trivial commands that serve nothing: they need no port
    const wantsPort = this.opts.readiness !== "process" && (container.args ?? []).some((a) => a.startsWith("--ServerApp.port="));
    const port = wantsPort ? await this.pickPort() : null;
    running.port = port;
    const args = (container.args ?? []).map((a) => {
      if (port !== null && a.startsWith("--ServerApp.port=")) return `--ServerApp.port=${port}`;
      if (a.startsWith("--ServerApp.ip=")) return "--ServerApp.ip=127.0.0.1";
      const root = /^--ServerApp\.root_dir=(.*)$/.exec(a);
      if (root) return `--ServerApp.root_dir=${mapPaths(root[1], mounts)}`;
      return a;
    });
    if (port !== null) {
      await this.core.patchNamespacedPod(
        { name, namespace: this.opts.namespace, body: { metadata: { annotations: { [SERVER_PORT_ANNOTATION]: String(port) } } } },
        MERGE_PATCH,
      );
    }

    // the command may name a mounted path too (the server extension's wrapper: spawners/kubernetes/extension-manifests.ts)
    const command = [...(container.command ?? []).map((a) => mapPaths(a, mounts)), ...args];
    const argv = asRoot ? ["/usr/bin/setpriv", `--reuid=${uidGid.uid}`, `--regid=${uidGid.gid}`, "--clear-groups", "--", ...command] : command;
    await this.postEvent(pod, "Created", `Created container ${container.name}`);
    if (running.deleting || this.stopped) return;
    const fd = openSync(running.logFile, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND, 0o644);
    let child: ChildProcess;
    try {
      // the cast: Next's types make NODE_ENV a required member of ProcessEnv
      child = spawn(argv[0], argv.slice(1), { cwd: workDir, env: env as unknown as NodeJS.ProcessEnv, detached: true, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    running.child = child;
    const startedAt = new Date().toISOString();
    const ready = this.opts.readiness === "process";
    const firstStatus = this.queueStatus(running, pod, () => this.runningStatus(pod, startedAt, ready));
    child.on("error", () => {});
    child.once("exit", (code, signal) => void this.onExit(pod, running, code, signal, startedAt));
    await this.postEvent(pod, "Started", `Started container ${container.name}`);
    await firstStatus;
    if (ready) return;
    const path = container.readinessProbe?.httpGet?.path ?? "/";
    for (;;) {
      if (running.exited || running.deleting || this.stopped) return;
      if (port !== null && (await probe(`http://127.0.0.1:${port}${path}`)) === 200) break;
      await sleep(200);
    }
    await this.queueStatus(running, pod, () => (running.exited || running.deleting ? null : this.runningStatus(pod, startedAt, true)));
  }

  /** A container's environment: plain values, and values from Secrets (read through the API). */
  private async containerEnv(container: V1Container): Promise<Record<string, string>> {
    const env: Record<string, string> = { PATH, LANG: "C.UTF-8" };
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) {
        const secret = await this.core.readNamespacedSecret({ name: ref.name!, namespace: this.opts.namespace }).catch(() => null);
        const data = secret?.data?.[ref.key];
        if (data === undefined) throw new Error(`secret "${ref.name}" not found`);
        env[e.name] = Buffer.from(data, "base64").toString("utf8");
      }
    }
    return env;
  }

  /** Each pod volume as a local directory: claims under volumes/, emptyDirs and ConfigMaps per pod. */
  private async volumeDirs(pod: V1Pod, owner: { uid: number; gid: number }, asRoot: boolean): Promise<Map<string, string>> {
    const uid = pod.metadata?.uid ?? "";
    const out = new Map<string, string>();
    for (const vol of pod.spec?.volumes ?? []) {
      const dir = vol.persistentVolumeClaim ? join(this.stateDir, "volumes", vol.persistentVolumeClaim.claimName) : join(this.stateDir, "pods", uid, vol.name);
      mkdirSync(dir, { recursive: true });
      if (vol.configMap) {
        // as a kubelet lays a ConfigMap out: every key as a file, or only the items' keys at their
        // paths (which may hold "/"), with the items' or the volume's mode (0644 by default)
        const cm = await this.core.readNamespacedConfigMap({ name: vol.configMap.name!, namespace: this.opts.namespace });
        const data = cm.data ?? {};
        const items = vol.configMap.items ?? Object.keys(data).map((key) => ({ key, path: key, mode: undefined }));
        for (const item of items) {
          if (!(item.key in data)) throw new Error(`configmap "${vol.configMap.name}" has no key "${item.key}"`);
          const file = join(dir, item.path);
          mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
          writeFileSync(file, data[item.key], { mode: item.mode ?? vol.configMap.defaultMode ?? 0o644 });
        }
        chmodSync(dir, 0o755);
      } else if (asRoot) chownSync(dir, owner.uid, owner.gid);
      out.set(vol.name, dir);
    }
    return out;
  }

  /**
   * One init container to its end, as a kubelet runs it: its own log, statuses while it runs, and
   * with restartPolicy Never a failure fails the pod. Returns whether the pod may go on.
   */
  private async runInitContainer(
    pod: V1Pod,
    running: RunningPod,
    c: V1Container,
    index: number,
    o: { uidGid: { uid: number; gid: number }; asRoot: boolean; mounts: Map<string, string>; runtimeDir: string },
  ): Promise<boolean> {
    const env = await this.containerEnv(c);
    const workDir = o.mounts.get(c.workingDir ?? "") ?? o.runtimeDir;
    env.HOME ??= workDir;
    for (const [k, v] of Object.entries(env)) env[k] = mapPaths(v, o.mounts);
    const command = [...(c.command ?? []), ...(c.args ?? [])].map((a) => mapPaths(a, o.mounts));
    const argv = o.asRoot ? ["/usr/bin/setpriv", `--reuid=${o.uidGid.uid}`, `--regid=${o.uidGid.gid}`, "--clear-groups", "--", ...command] : command;
    const main = pod.spec!.containers[0];
    const initStatus = (state: object) => ({
      phase: "Pending",
      hostIP: "127.0.0.1",
      initContainerStatuses: (pod.spec?.initContainers ?? []).map((ic, i) => ({
        name: ic.name,
        image: ic.image,
        imageID: `fake://${ic.image}`,
        ready: i < index,
        restartCount: 0,
        state: i < index ? { terminated: { exitCode: 0, reason: "Completed" } } : i === index ? state : { waiting: { reason: "PodInitializing" } },
      })),
      containerStatuses: [
        { name: main.name, image: main.image, imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } },
      ],
    });
    const startedAt = new Date().toISOString();
    await this.postEvent(pod, "Created", `Created container ${c.name}`);
    await this.queueStatus(running, pod, () => initStatus({ running: { startedAt } }));
    const fd = openSync(`${running.logFile}.${c.name}`, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND, 0o644);
    let child: ChildProcess;
    try {
      child = spawn(argv[0], argv.slice(1), { cwd: workDir, env: env as unknown as NodeJS.ProcessEnv, detached: true, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    running.child = child;
    await this.postEvent(pod, "Started", `Started container ${c.name}`);
    const exitCode = await new Promise<number>((resolve) => {
      child.on("error", () => resolve(127));
      child.once("exit", (code, sig) => resolve(code ?? 128 + (sig === "SIGKILL" ? 9 : 15)));
    });
    running.child = null;
    if (running.deleting || this.stopped) return false;
    if (exitCode === 0) return true;
    running.exited = true;
    const finishedAt = new Date().toISOString();
    await this.queueStatus(running, pod, () => ({
      ...initStatus({ terminated: { exitCode, reason: "Error", startedAt, finishedAt } }),
      phase: "Failed",
      conditions: [
        {
          type: "Initialized",
          status: "False",
          reason: `ContainersNotInitialized`,
          message: `containers with incomplete status: [${c.name}]`,
          lastTransitionTime: finishedAt,
        },
      ],
    }));
    return false;
  }

  /** The Job stand-in: completes (or fails) a new Job after buildDelayMs, without building anything. */
  private async completeJob(job: V1Job): Promise<void> {
    const name = job.metadata?.name ?? "";
    if (this.stopped || this.handledJobs.has(name) || job.status?.conditions?.length) return;
    this.handledJobs.add(name);
    const startTime = new Date().toISOString();
    await this.opts.client.batch.patchNamespacedJobStatus({ name, namespace: this.opts.namespace, body: { status: { startTime, active: 1 } } }, MERGE_PATCH);
    await sleep(this.opts.buildDelayMs ?? 500);
    const repo = job.metadata?.annotations?.["gyre.io/repo"] ?? "";
    const now = new Date().toISOString();
    const fail = (this.opts.failBuildsOf ?? []).includes(repo);
    if (!fail) this.builtImages.push(job.metadata?.annotations?.["gyre.io/image"] ?? "");
    const status = fail
      ? {
          active: 0,
          failed: 1,
          conditions: [
            {
              type: "Failed",
              status: "True",
              reason: "BackoffLimitExceeded",
              message: "Job has reached the specified backoff limit (fake kubelet: this repository's builds fail)",
              lastProbeTime: now,
              lastTransitionTime: now,
            },
          ],
        }
      : { active: 0, succeeded: 1, completionTime: now, conditions: [{ type: "Complete", status: "True", lastProbeTime: now, lastTransitionTime: now }] };
    await this.opts.client.batch.patchNamespacedJobStatus({ name, namespace: this.opts.namespace, body: { status } }, MERGE_PATCH);
  }

  /** Patches the status after every earlier patch of this pod; `build` may return null to skip. */
  private queueStatus(running: RunningPod, pod: V1Pod, build: () => object | null): Promise<void> {
    running.statusChain = running.statusChain.then(async () => {
      const status = build();
      if (status) await this.patchStatus(pod, status).catch((e) => this.log(`status of ${running.name}: ${(e as Error).message}`));
    });
    return running.statusChain;
  }

  private runningStatus(pod: V1Pod, startedAt: string, ready: boolean): object {
    const c = pod.spec!.containers[0];
    const now = new Date().toISOString();
    const cond = (type: string, status: boolean) => ({ type, status: status ? "True" : "False", lastTransitionTime: now });
    return {
      phase: "Running",
      hostIP: "127.0.0.1",
      podIP: "127.0.0.1",
      podIPs: [{ ip: "127.0.0.1" }],
      startTime: startedAt,
      conditions: [cond("PodScheduled", true), cond("Initialized", true), cond("ContainersReady", ready), cond("Ready", ready)],
      containerStatuses: [
        {
          name: c.name,
          image: c.image,
          imageID: `fake://${c.image}`,
          containerID: `fake://${pod.metadata?.uid}`,
          ready,
          started: true,
          restartCount: 0,
          state: { running: { startedAt } },
        },
      ],
    };
  }

  private async onExit(pod: V1Pod, running: RunningPod, code: number | null, signal: NodeJS.Signals | null, startedAt: string): Promise<void> {
    running.exited = true;
    if (running.port !== null) this.usedPorts.delete(running.port);
    if (running.deleting || this.stopped) return;
    const c = pod.spec!.containers[0];
    const exitCode = code ?? 128 + (signal === "SIGKILL" ? 9 : 15);
    await this.queueStatus(running, pod, () => ({
      phase: exitCode === 0 ? "Succeeded" : "Failed",
      conditions: [
        { type: "Ready", status: "False", lastTransitionTime: new Date().toISOString() },
        { type: "ContainersReady", status: "False", lastTransitionTime: new Date().toISOString() },
      ],
      containerStatuses: [
        {
          name: c.name,
          image: c.image,
          imageID: `fake://${c.image}`,
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error", startedAt, finishedAt: new Date().toISOString() } },
        },
      ],
    }));
  }

  /** Graceful deletion: stop the process within the pod's grace period, then remove the pod for good. */
  private async finalisePod(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    const running = this.pods.get(uid);
    if (running?.deleting) return;
    if (running) running.deleting = true;
    if (running?.child && !running.exited) await this.postEvent(pod, "Killing", `Stopping container ${pod.spec?.containers[0]?.name}`).catch(() => {});
    await this.killPod(uid, pod.metadata?.deletionGracePeriodSeconds ?? 30);
    try {
      await this.core.deleteNamespacedPod({
        name: pod.metadata!.name!,
        namespace: this.opts.namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
    } catch (e) {
      if (getApiStatusCode(e) !== 404 && getApiStatusCode(e) !== 409) throw e;
    }
  }

  private async killPod(uid: string, graceSeconds: number): Promise<void> {
    const running = this.pods.get(uid);
    if (!running) return;
    running.deleting = true;
    if (running.child && !running.exited) {
      killGroup(running.child, "SIGTERM");
      const deadline = Date.now() + Math.min(graceSeconds, 10) * 1000;
      while (!running.exited && Date.now() < deadline) await sleep(50);
      if (!running.exited) killGroup(running.child, "SIGKILL");
      while (!running.exited) await sleep(20);
    }
    if (running.port !== null) this.usedPorts.delete(running.port);
    this.pods.delete(uid);
  }

  // --- claims, events, status ------------------------------------------------------------------

  private async bindClaim(pvc: V1PersistentVolumeClaim): Promise<void> {
    if (this.stopped || pvc.status?.phase === "Bound" || pvc.metadata?.deletionTimestamp) return;
    await this.core.patchNamespacedPersistentVolumeClaimStatus(
      {
        name: pvc.metadata!.name!,
        namespace: this.opts.namespace,
        body: { status: { phase: "Bound", accessModes: pvc.spec?.accessModes, capacity: pvc.spec?.resources?.requests } },
      },
      MERGE_PATCH,
    );
  }

  private async postEvent(pod: V1Pod, reason: string, message: string, component = "kubelet"): Promise<void> {
    const now = new Date();
    const body: CoreV1Event = {
      metadata: { generateName: `${pod.metadata?.name}.`, namespace: this.opts.namespace },
      involvedObject: { apiVersion: "v1", kind: "Pod", name: pod.metadata?.name, namespace: this.opts.namespace, uid: pod.metadata?.uid },
      reason,
      message,
      type: "Normal",
      source: { component, host: this.nodeName },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    await this.core.createNamespacedEvent({ namespace: this.opts.namespace, body });
    if (this.opts.stepDelayMs) await sleep(this.opts.stepDelayMs);
  }

  private async patchStatus(pod: V1Pod, status: object): Promise<void> {
    await this.core.patchNamespacedPodStatus({ name: pod.metadata!.name!, namespace: this.opts.namespace, body: { status } }, MERGE_PATCH);
  }

  private async pickPort(): Promise<number> {
    const [lo, hi] = this.opts.portRange ?? [7250, 7298];
    for (let p = lo; p <= hi; p++) {
      if (this.usedPorts.has(p)) continue;
      if (await isPortFree(p)) {
        this.usedPorts.add(p);
        return p;
      }
    }
    throw new Error(`fake kubelet: no free port in ${lo}-${hi}`);
  }
}

/**
 * A value with the pod's mount paths replaced by the local folders that stand in for them: a path
 * at or under a mount path, alone or in a ":"-separated list (JUPYTER_PATH).
 */
function mapPaths(value: string, mounts: Map<string, string>): string {
  const byLength = [...mounts.entries()].sort((a, b) => b[0].length - a[0].length);
  return value
    .split(":")
    .map((part) => {
      for (const [mountPath, dir] of byLength) if (part === mountPath || part.startsWith(`${mountPath}/`)) return dir + part.slice(mountPath.length);
      return part;
    })
    .join(":");
}

function killGroup(child: ChildProcess | null, sig: NodeJS.Signals): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, sig); // detached: the child leads its own process group
  } catch {
    try {
      child.kill(sig);
    } catch {
      /* gone */
    }
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createNetServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

function probe(url: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { timeout: 1000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on("error", () => resolve(null));
    req.on("timeout", () => {
      req.destroy();
      resolve(null);
    });
    req.end();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
