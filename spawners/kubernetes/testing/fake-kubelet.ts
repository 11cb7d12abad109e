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
//   PV controller: marks claims Bound.
// Because every pod runs on 127.0.0.1 they cannot all listen on 8888: each gets a free port from
// `portRange`, reported through the gyre.io/server-port annotation (manifests.ts), and the
// claim's mount path is mapped to a local directory so that files outlive the pod.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, constants as fsc } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { request as httpRequest } from "node:http";
import {
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type CoreV1Event,
  type Informer,
  type KubernetesObject,
  type V1PersistentVolumeClaim,
  type V1Pod,
} from "@kubernetes/client-node";
import { getApiStatusCode, type KubeClient } from "../client";
import { SERVER_PORT_ANNOTATION } from "../manifests";

export interface FakeKubeletOptions {
  /** its own client (so that its requests do not count as the spawner's) */
  client: KubeClient;
  namespace: string;
  /** directory for local volumes, logs and the log endpoint's certificate */
  stateDir: string;
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
  log?: (message: string) => void;
}

interface RunningPod {
  uid: string;
  name: string;
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
  private readonly pods = new Map<string, RunningPod>();
  private readonly usedPorts = new Set<number>();
  private podInformer: Informer<V1Pod> | null = null;
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
    mkdirSync(this.opts.stateDir, { recursive: true });
    // pods run as their non-root runAsUser and must reach their volume directories in here
    // (mkdtemp makes 0700 directories)
    chmodSync(this.opts.stateDir, 0o755);
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
    await Promise.all([this.podInformer.start(), this.pvcInformer.start()]);
  }

  /** Stops watching and kills every process it started (pods stay in the API: a node went away). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.podInformer?.stop(), this.pvcInformer?.stop()]);
    for (const p of this.pods.values()) killGroup(p.child, "SIGKILL");
    this.pods.clear();
    await new Promise<void>((r) => (this.logServer ? this.logServer.close(() => r()) : r()));
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
    const keyFile = join(this.opts.stateDir, "kubelet.key");
    const certFile = join(this.opts.stateDir, "kubelet.crt");
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
      if (!pod || !existsSync(pod.logFile)) {
        res.writeHead(404).end("no such container");
        return;
      }
      const lines = readFileSync(pod.logFile, "utf8").split("\n");
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
      child: null,
      port: null,
      logFile: join(this.opts.stateDir, "logs", `${this.opts.namespace}_${name}_${uid}.log`),
      deleting: false,
      exited: false,
      statusChain: Promise.resolve(),
    };
    this.pods.set(uid, running);
    mkdirSync(join(this.opts.stateDir, "logs"), { recursive: true });

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
    const env: Record<string, string> = { PATH, LANG: "C.UTF-8" };
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) {
        try {
          const secret = await this.core.readNamespacedSecret({ name: ref.name!, namespace: this.opts.namespace });
          const data = secret.data?.[ref.key];
          if (data !== undefined) env[e.name] = Buffer.from(data, "base64").toString("utf8");
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
                state: { waiting: { reason: "CreateContainerConfigError", message: `secret "${ref.name}" not found` } },
              },
            ],
          });
          this.pods.delete(uid);
          throw err;
        }
      }
    }

    mkdirSync(join(this.opts.stateDir, "pods", uid), { recursive: true, mode: 0o755 });
    const uidGid = { uid: pod.spec?.securityContext?.runAsUser ?? 1000, gid: pod.spec?.securityContext?.runAsGroup ?? 100 };
    const asRoot = process.getuid?.() === 0;
    // volumes: the claim (or emptyDir) becomes a local directory mounted nowhere, passed by path
    const mounts = new Map<string, string>();
    for (const m of container.volumeMounts ?? []) {
      const vol = pod.spec?.volumes?.find((v) => v.name === m.name);
      const dir = vol?.persistentVolumeClaim
        ? join(this.opts.stateDir, "volumes", vol.persistentVolumeClaim.claimName)
        : join(this.opts.stateDir, "pods", uid, m.name);
      mkdirSync(dir, { recursive: true });
      if (asRoot) chownSync(dir, uidGid.uid, uidGid.gid);
      mounts.set(m.mountPath, dir);
    }
    const runtimeDir = join(this.opts.stateDir, "pods", uid, "runtime");
    mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    if (asRoot) chownSync(runtimeDir, uidGid.uid, uidGid.gid);
    const workDir = mounts.get(container.workingDir ?? "") ?? runtimeDir;
    env.HOME = workDir;
    env.JUPYTER_RUNTIME_DIR = runtimeDir;

    // "process" readiness is for trivial commands that serve nothing: they need no port
    const wantsPort = this.opts.readiness !== "process" && (container.args ?? []).some((a) => a.startsWith("--ServerApp.port="));
    const port = wantsPort ? await this.pickPort() : null;
    running.port = port;
    const args = (container.args ?? []).map((a) => {
      if (port !== null && a.startsWith("--ServerApp.port=")) return `--ServerApp.port=${port}`;
      if (a.startsWith("--ServerApp.ip=")) return "--ServerApp.ip=127.0.0.1";
      const root = /^--ServerApp\.root_dir=(.*)$/.exec(a);
      if (root && mounts.has(root[1])) return `--ServerApp.root_dir=${mounts.get(root[1])}`;
      return a;
    });
    if (port !== null) {
      await this.core.patchNamespacedPod(
        { name, namespace: this.opts.namespace, body: { metadata: { annotations: { [SERVER_PORT_ANNOTATION]: String(port) } } } },
        MERGE_PATCH,
      );
    }

    const command = [...(container.command ?? []), ...args];
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
