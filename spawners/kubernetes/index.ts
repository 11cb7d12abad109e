// The Kubernetes spawner (I/O): one pod per server, the server token in a Secret, the user's
// home on a PersistentVolumeClaim that outlives the server. Manifests come from the pure
// builders in manifests.ts; what a pod's status and events mean comes from events.ts.
//
// API load, the point of this design (what KubeSpawner ran into:
// https://github.com/jupyterhub/kubespawner/issues/423, /209, /753): every spawner of a namespace
// shares one pod watch and one event watch (watch.ts). poll() reads their cache and sends no
// request; start() sends four (claim, secret, the server extension's ConfigMap, pod), stop() three
// (pod, secret, ConfigMap), plus one retry where an object already exists (serverExtension off: one
// fewer each); a launch adds its ConfigMap (and, with image builds, reads or creates its build
// Job). client.ts counts every request (getKubernetesRequestCounts).
import { inspect } from "node:util";
import type { CoreV1Event, V1Job, V1Pod } from "@kubernetes/client-node";
import {
  SpawnError,
  type JsonObject,
  type ProgressEvent,
  type SpawnContext,
  type SpawnExit,
  type SpawnLogger,
  type SpawnStarted,
  type Spawner,
  type UsageSample,
} from "../types";
import type { HubServices, SpawnerKindRuntime } from "../kind";
import { getApiErrorMessage, getApiStatusCode, getKubeClient, type KubeClient, type RequestCounts } from "./client";
import { ProfileError, resolveProfile, type KubernetesSpawnerConfig } from "./config";
import { PROGRESS_POD_CREATED, buildProgressEvent, describePodState } from "./events";
import {
  ANNOTATIONS,
  CONTAINER_NAME,
  buildPodManifest,
  buildPvcManifest,
  buildServerUrl,
  buildTokenSecretManifest,
  readServerPort,
  type PodManifestOptions,
} from "./manifests";
import {
  PREPARE_CONTAINER_NAME,
  buildImageBuildJob,
  buildLaunchConfigMap,
  buildLaunchImageRef,
  buildLaunchPodPaths,
  readBuildJobState,
} from "./launch-manifests";
import { withPlatform, type PrepareSpec } from "../agent/agent-spec";
import { buildAgentBootstrap } from "../agent/agent-bootstrap";
import { loadAgentZip, loadExtensionFiles } from "../agent/agent-bundle";
import { buildExtensionConfigMap } from "./extension-manifests";
import { LineSplitter } from "../agent/agent-phases";
import { AgentProgressReader } from "../agent/agent-progress";
import type { LaunchImageBuild } from "./config";
import { buildObjectName } from "./names";
import { closeNamespaceWatches, getNamespaceWatch, type NamespaceWatch } from "./watch";
import { podRequestUsage } from "./usage";
import { ProgressLog } from "../progress-log";
import { toStateObject } from "../state";
import { createSpawnObject, deleteSpawnObject } from "./spawn-objects";
import { usesHubAuth } from "../server-flavor";

/** After the grace period, how long stop() waits for the kubelet before force-deleting. */
const FORCE_DELETE_AFTER_MS = 15_000;
/** How long to wait for a force-deleted pod to leave the cache. */
const FORCE_DELETE_WAIT_MS = 10_000;
/** Attempts at creating the pod when a stale one of the same name is in the way. */
const MAX_POD_CREATE_ATTEMPTS = 3;
/** How often a build Job and a launch's init container are looked at. */
const LAUNCH_POLL_MS = 1000;
/** Progress band of a launch's agent in the init container (after the pod was created). */
const AGENT_PROGRESS_RANGE: [number, number] = [40, 80];

/** The blob the hub stores (see Spawner.getState). */
export interface KubernetesSpawnerState {
  podName?: string;
  namespace?: string;
  spawnId?: string;
  /** uid of the pod this spawn created: stop() deletes that pod and no newer one */
  podUid?: string;
  profile?: string;
  /** uid of this spawn's token Secret: stop() deletes that one and no newer spawn's (spawn-objects.ts) */
  secretUid?: string;
  /** a launch: its ConfigMap (agent + spec), deleted with the pod */
  launchConfigMap?: string;
  launchConfigMapUid?: string;
  /** the ConfigMap of Gyre's server extension (serverExtension on), deleted with the pod */
  extensionConfigMap?: string;
  extensionConfigMapUid?: string;
  /** "hub": the profile's command is jupyterhub-singleuser, which logs its users in through the hub (usesHubAuth) */
  serverAuth?: "hub";
}

/** Spawner for `spawner.kind: kubernetes`. See spawners/types.ts for the contract. */
export class KubernetesSpawner implements Spawner {
  private state: KubernetesSpawnerState = {};
  private readonly progressLog = new ProgressLog();
  private readonly abort = new AbortController();
  private startCalled = false;
  private starting = false;
  private startFailure: SpawnExit | null = null;
  private stopping: Promise<void> | null = null;
  /** settles when start() has (stop() waits for it, so that a pod being created is not missed) */
  private startSettled: Promise<void> = Promise.resolve();
  private readonly client: KubeClient;
  private readonly forceDeleteAfterMs: number;

  constructor(
    private readonly ctx: SpawnContext,
    private readonly config: KubernetesSpawnerConfig,
    /** seams for tests: the client (default: the shared one for config's kubeconfig), the force-delete delay */
    deps: { client?: KubeClient; forceDeleteAfterMs?: number } = {},
  ) {
    this.client = deps.client ?? getKubeClient(config);
    this.forceDeleteAfterMs = deps.forceDeleteAfterMs ?? FORCE_DELETE_AFTER_MS;
  }

  /**
   * Creates the claim (kept if it exists), the token Secret (replaced if it exists) and the pod
   * (a stale pod of the same name is deleted first), then waits, on the shared watch, until the
   * pod is ready. Resolves with `http://<podIP>:<port>`; throws SpawnError with the reason
   * otherwise (the API server's own message for a refused pod).
   */
  start(): Promise<SpawnStarted> {
    if (this.startCalled) return Promise.reject(new SpawnError("This server was already started; stop it first."));
    this.startCalled = true;
    const started = this.runStart();
    this.startSettled = started.then(
      () => undefined,
      () => undefined,
    );
    return started;
  }

  private runStart(): Promise<SpawnStarted> {
    return this.settle(async () => {
      const { settings, profileName } = this.resolveSettings();
      const namespace = this.config.namespace;
      const ref = { userName: this.ctx.user.name, serverName: this.ctx.serverName, namespace };
      const podName = buildObjectName({ kind: "pod", userName: ref.userName, serverName: ref.serverName });
      this.state = {
        podName,
        namespace,
        spawnId: this.ctx.spawnId,
        ...(profileName ? { profile: profileName } : {}),
        ...(usesHubAuth(settings.command) ? { serverAuth: "hub" as const } : {}),
      };
      this.progressLog.push(2, profileName ? `Preparing your server (profile ${profileName})` : "Preparing your server");
      const watch = this.namespaceWatch();
      await watch.ready();
      this.throwIfStopRequested();

      if (settings.storage.type === "dynamic") {
        await this.createClaim(buildPvcManifest({ ...ref, storage: settings.storage }));
      }
      await this.putTokenSecret(buildTokenSecretManifest({ ...ref, token: this.ctx.token, apiToken: this.ctx.apiToken, spawnId: this.ctx.spawnId }));
      this.throwIfStopRequested();
      const launch = this.ctx.launch ? await this.prepareLaunchObjects(settings, ref) : undefined;
      this.throwIfStopRequested();
      const extension = settings.serverExtension ? await this.putExtensionConfigMap(ref) : undefined;
      this.throwIfStopRequested();
      const manifest = buildPodManifest({
        ...ref,
        baseUrl: this.ctx.baseUrl,
        spawnId: this.ctx.spawnId,
        settings,
        profileName,
        env: this.ctx.env,
        launch,
        extension,
      });
      const created = await this.createPod(manifest, watch);
      const podUid = created.metadata?.uid ?? "";
      this.state.podUid = podUid;
      this.progressLog.push(PROGRESS_POD_CREATED, "Your server's pod was created; waiting for a node.");
      this.ctx.log.info({ pod: podName, namespace, profile: profileName }, "kubernetes pod created");
      return this.waitUntilReady(watch, settings, Date.now(), !!launch);
    });
  }

  /**
   * Continues a start an earlier hub process began (Spawner.resume): the pod it created (the
   * stored name and uid) is followed where it is, on the shared watch, until it is ready or gone;
   * it is never deleted and created again. The start limit counts from the pod's creation. null
   * when the stored state names no pod (the hub died before it created one): the hub starts over.
   */
  resume(): Promise<SpawnStarted> | null {
    const { podName, podUid, spawnId } = this.state;
    if (this.startCalled || !podName || !podUid || !spawnId) return null;
    this.startCalled = true;
    const started = this.settle(async () => {
      const { settings } = this.resolveSettings();
      const watch = this.namespaceWatch();
      await watch.ready();
      const pod = watch.getPod(podName);
      if (!pod || pod.metadata?.uid !== podUid) throw new SpawnError("Your server's pod is gone: it was deleted while the hub restarted.");
      this.progressLog.push(PROGRESS_POD_CREATED, "Following your server's pod again after the hub restarted.");
      this.ctx.log.info({ pod: podName, namespace: this.namespace() }, "kubernetes pod followed again after a hub restart");
      const createdAt = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : Date.now();
      return this.waitUntilReady(watch, settings, createdAt, false);
    });
    this.startSettled = started.then(
      () => undefined,
      () => undefined,
    );
    return started;
  }

  /** Runs a start (or resume): a failure becomes the SpawnError to show, with the pod's log tail; progress ends either way. */
  private async settle(work: () => Promise<SpawnStarted>): Promise<SpawnStarted> {
    this.starting = true;
    try {
      return await work();
    } catch (e) {
      const err = this.abort.signal.aborted
        ? new SpawnError("The server was stopped before it finished starting.")
        : e instanceof SpawnError
          ? e
          : new SpawnError(`The server could not be started: ${(e as Error).message}`);
      if (err.logTail === undefined && this.state.podUid) Object.assign(err, { logTail: await this.logTail(30) });
      this.ctx.log.warn({ err: err.message }, "kubernetes server failed to start");
      this.startFailure = { exitCode: null, reason: err.message };
      throw err;
    } finally {
      this.starting = false;
      this.progressLog.close();
    }
  }

  /**
   * Waits on the shared watch until the pod of state.podUid is ready (its URL) or gone
   * (SpawnError with the reason), reporting its events as progress. The limit (start timeout,
   * plus a launch's) counts from `sinceMs`. `followAgent`: read a launch agent's phases from the
   * init container's log meanwhile.
   */
  private async waitUntilReady(watch: NamespaceWatch, settings: KubernetesSpawnerConfig, sinceMs: number, followAgent: boolean): Promise<SpawnStarted> {
    const podName = this.state.podName!;
    const podUid = this.state.podUid!;
    const unsubscribeEvents = watch.onPodEvent(podUid, (e: CoreV1Event) => {
      const ev = buildProgressEvent({ event: e, previousProgress: this.progressLog.last });
      if (ev) this.progressLog.push(ev.progress, ev.message);
    });
    try {
      // a launch: the agent's phase lines in the init container's log, while the pod waits for it
      const agentLog = followAgent ? this.followPrepareLog(podName) : null;
      const limitSeconds = settings.startTimeoutSeconds + (this.ctx.launch?.prepareTimeoutSeconds ?? 0);
      let seen = false;
      const pod = await watch.waitForPod(
        podName,
        (p) => {
          if (!p) return seen; // not in the cache yet, or deleted after we saw it
          if (p.metadata?.uid !== podUid) return true; // replaced by someone else
          seen = true;
          return describePodState(p).state !== "starting";
        },
        Math.max(0, sinceMs + limitSeconds * 1000 - Date.now()),
        () =>
          new SpawnError(
            `Your server's pod did not become ready within ${limitSeconds} s (spawner.kubernetes.startTimeoutSeconds${this.ctx.launch ? " + the launch's fetch and build limits" : ""}).`,
          ),
        this.abort.signal,
      );
      const agent = agentLog ? await agentLog.stop() : null;
      if (pod && pod.metadata?.uid !== podUid) throw new SpawnError("Your server's pod was replaced while it started.");
      const result = describePodState(pod);
      // the agent says best why a launch failed
      if (agent?.failure) throw new SpawnError(agent.failure.message, agent.failure.logTail);
      if (result.state === "gone") throw new SpawnError(`Your server could not start: ${result.exit.reason}`);
      if (result.state !== "ready") throw new SpawnError("Your server's pod is in an unexpected state.");
      this.progressLog.push(95, "Your server's pod is ready.");
      return { url: buildServerUrl(result.podIp, readServerPort(pod!)) };
    } finally {
      unsubscribeEvents();
    }
  }

  /**
   * null while the pod runs (or starts); else why it is gone. Reads the shared watch's cache:
   * no API request (after the namespace's first list, shared by all spawners).
   */
  async poll(): Promise<SpawnExit | null> {
    if (this.starting) return null;
    if (this.startFailure) return this.startFailure;
    const { podName } = this.state;
    if (!podName) return { exitCode: null, reason: "The server has not been started." };
    const watch = this.namespaceWatch();
    await watch.ready();
    const pod = watch.getPod(podName);
    if (pod && this.state.spawnId && pod.metadata?.annotations?.[ANNOTATIONS.spawnId] !== this.state.spawnId) {
      return { exitCode: null, reason: "The server's pod was replaced by a newer start." };
    }
    const result = describePodState(pod);
    return result.state === "gone" ? result.exit : null;
  }

  /**
   * Deletes the pod (with stopGraceSeconds for the server to shut down) its token Secret and ConfigMaps,
   * keeps the claim, and resolves once the pod has left the watch cache. A pod still there
   * FORCE_DELETE_AFTER_MS after its grace period (its node is gone, or no kubelet finalises it)
   * is deleted with grace 0. Idempotent; concurrent calls share one stop.
   */
  stop(): Promise<void> {
    this.abort.abort();
    // start() notices the abort at its next step; a create already sent must finish first, or the
    // pod it makes would outlive this stop
    this.stopping ??= this.startSettled
      .then(() => this.deleteServerObjects())
      .finally(() => {
        this.stopping = null;
      });
    return this.stopping;
  }

  /** Requested resources × run time of the server's pod (usage.ts); null once the pod is gone. */
  async usage(): Promise<UsageSample | null> {
    const { podName } = this.state;
    if (!podName) return null;
    const watch = this.namespaceWatch();
    await watch.ready();
    const pod = watch.getPod(podName);
    if (!pod || (this.state.spawnId && pod.metadata?.annotations?.[ANNOTATIONS.spawnId] !== this.state.spawnId)) return null;
    return podRequestUsage(pod, new Date());
  }

  getState(): JsonObject {
    return toStateObject(this.state);
  }

  loadState(state: JsonObject): void {
    const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
    this.state = {
      podName: str(state.podName),
      namespace: str(state.namespace),
      spawnId: str(state.spawnId),
      podUid: str(state.podUid),
      secretUid: str(state.secretUid),
      profile: str(state.profile),
      launchConfigMap: str(state.launchConfigMap),
      launchConfigMapUid: str(state.launchConfigMapUid),
      extensionConfigMap: str(state.extensionConfigMap),
      extensionConfigMapUid: str(state.extensionConfigMapUid),
      serverAuth: state.serverAuth === "hub" ? "hub" : undefined,
    };
  }

  progress(): AsyncIterable<ProgressEvent> {
    return this.progressLog.iterate();
  }

  /** The server container's last log lines (pods/log), "" when there are none or they cannot be read. */
  async logTail(lines = 40): Promise<string> {
    const { podName } = this.state;
    if (!podName) return "";
    try {
      const text = await this.client.core.readNamespacedPodLog({ name: podName, namespace: this.namespace(), container: CONTAINER_NAME, tailLines: lines });
      const tail = typeof text === "string" ? text : String(text ?? "");
      return this.ctx.token ? tail.replaceAll(this.ctx.token, "[token]") : tail;
    } catch {
      return "";
    }
  }

  // --- internals -----------------------------------------------------------------------------

  private namespace(): string {
    return this.state.namespace ?? this.config.namespace;
  }

  private namespaceWatch(): NamespaceWatch {
    return getNamespaceWatch(this.client, this.namespace(), watchLogger(this.ctx.log));
  }

  /** The settings of the profile in options.profile, for this user's groups; SpawnError if refused. */
  private resolveSettings(): { settings: KubernetesSpawnerConfig; profileName: string | null } {
    const requested = this.ctx.options.profile;
    if (requested !== undefined && requested !== null && typeof requested !== "string") throw new SpawnError("The profile must be given by its name.");
    try {
      const { settings, profile } = resolveProfile(this.config, requested || undefined, { groups: this.ctx.user.groups, isAdmin: this.ctx.user.admin });
      return { settings, profileName: profile?.name ?? null };
    } catch (e) {
      if (e instanceof ProfileError) throw new SpawnError(e.message);
      throw e;
    }
  }

  private throwIfStopRequested(): void {
    if (this.abort.signal.aborted) throw new SpawnError("The server was stopped before it finished starting.");
  }

  /** Creates the user's claim; one that exists already is the user's home and is kept as is. */
  private async createClaim(body: ReturnType<typeof buildPvcManifest>): Promise<void> {
    try {
      await this.client.core.createNamespacedPersistentVolumeClaim({ namespace: this.namespace(), body });
      this.progressLog.push(5, "Your home volume was created.");
    } catch (e) {
      if (getApiStatusCode(e) === 409) {
        this.progressLog.push(5, "Your home volume is there from before.");
        return;
      }
      throw apiSpawnError("your home volume", e);
    }
  }

  /** Creates the token Secret (one left by an earlier spawn, whose token is stale, is deleted first). */
  private async putTokenSecret(body: ReturnType<typeof buildTokenSecretManifest>): Promise<void> {
    try {
      this.state.secretUid = await createSpawnObject(this.client, this.namespace(), { kind: "Secret", body });
    } catch (e) {
      throw apiSpawnError("your server's token secret", e);
    }
  }

  /**
   * Creates the pod. 409 means a pod of that name is left from an earlier spawn (a hub that died
   * mid-stop, a failed cleanup): it is deleted with grace 0 and the create retried. 422 (invalid,
   * e.g. a bad image name or resource quantity in a profile) becomes a SpawnError with the API
   * server's explanation.
   */
  private async createPod(body: V1Pod, watch: NamespaceWatch): Promise<V1Pod> {
    const namespace = this.namespace();
    const name = body.metadata!.name!;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.core.createNamespacedPod({ namespace, body });
      } catch (e) {
        const code = getApiStatusCode(e);
        if (code === 409 && attempt < MAX_POD_CREATE_ATTEMPTS) {
          this.ctx.log.warn({ pod: name }, "a stale pod of this server is in the way; deleting it");
          this.progressLog.push(PROGRESS_POD_CREATED - 2, "Removing a leftover pod of this server from before.");
          await this.deletePod(name, { gracePeriodSeconds: 0 });
          await watch.waitForPod(
            name,
            (p) => p === null,
            FORCE_DELETE_WAIT_MS,
            () => new SpawnError("A leftover pod of this server could not be removed."),
            this.abort.signal,
          );
          continue;
        }
        if (code === 422) throw new SpawnError(`Kubernetes refused your server's pod: ${getApiErrorMessage(e)}`);
        throw apiSpawnError("your server's pod", e);
      }
    }
  }

  /** DELETE the pod (only ours, when its uid is known); true if it was there. */
  private async deletePod(name: string, opts: { gracePeriodSeconds: number; uid?: string }): Promise<boolean> {
    try {
      await this.client.core.deleteNamespacedPod({
        name,
        namespace: this.namespace(),
        gracePeriodSeconds: opts.gracePeriodSeconds,
        body: { gracePeriodSeconds: opts.gracePeriodSeconds, ...(opts.uid ? { preconditions: { uid: opts.uid } } : {}) },
      });
      return true;
    } catch (e) {
      const code = getApiStatusCode(e);
      // 404: already gone. 409 with a uid precondition: the pod of that name is a newer one.
      if (code === 404 || (code === 409 && opts.uid)) return false;
      throw e;
    }
  }

  private async deleteServerObjects(): Promise<void> {
    const { podName, podUid } = this.state;
    if (!podName) return;
    const watch = this.namespaceWatch();
    await watch.ready();
    const isOurs = (p: V1Pod | null) => p !== null && (!podUid || p.metadata?.uid === podUid);
    if (await this.deletePod(podName, { gracePeriodSeconds: this.config.stopGraceSeconds, uid: podUid })) {
      const graceMs = this.config.stopGraceSeconds * 1000 + this.forceDeleteAfterMs;
      const gone = await watch
        .waitForPod(
          podName,
          (p) => !isOurs(p),
          graceMs,
          () => new Error("timeout"),
        )
        .then(
          () => true,
          () => false,
        );
      if (!gone) {
        // Terminating forever: no kubelet finalises the pod (its node is lost). The API server
        // only removes it with a second DELETE with grace 0.
        this.ctx.log.warn({ pod: podName }, "pod still terminating after its grace period; force-deleting it");
        await this.deletePod(podName, { gracePeriodSeconds: 0, uid: podUid });
        await watch.waitForPod(
          podName,
          (p) => !isOurs(p),
          FORCE_DELETE_WAIT_MS,
          () => new Error(`The pod ${podName} could not be deleted.`),
        );
      }
    }
    // this spawn's objects only: a clean-up that runs late must leave a newer spawn's (spawn-objects.ts)
    const spawnId = this.state.spawnId ?? this.ctx.spawnId;
    const namespace = this.namespace();
    const secretName = buildObjectName({ kind: "secret", userName: this.ctx.user.name, serverName: this.ctx.serverName });
    await deleteSpawnObject(this.client, "Secret", namespace, secretName, { uid: this.state.secretUid, spawnId });
    const { launchConfigMap, launchConfigMapUid, extensionConfigMap, extensionConfigMapUid } = this.state;
    if (launchConfigMap) await deleteSpawnObject(this.client, "ConfigMap", namespace, launchConfigMap, { uid: launchConfigMapUid, spawnId });
    if (extensionConfigMap) await deleteSpawnObject(this.client, "ConfigMap", namespace, extensionConfigMap, { uid: extensionConfigMapUid, spawnId });
  }

  /**
   * Creates the server's extension ConfigMap (extension-manifests.ts); one left by an earlier spawn
   * of this server (a hub that died before its stop finished) is deleted first. Returns what the
   * pod manifest needs.
   */
  private async putExtensionConfigMap(ref: { userName: string; serverName: string; namespace: string }): Promise<NonNullable<PodManifestOptions["extension"]>> {
    const files = await loadExtensionFiles();
    const body = buildExtensionConfigMap({ ...ref, spawnId: this.ctx.spawnId, files });
    const name = body.metadata!.name!;
    this.state.extensionConfigMap = name;
    try {
      this.state.extensionConfigMapUid = await createSpawnObject(this.client, this.namespace(), { kind: "ConfigMap", body });
    } catch (e) {
      throw apiSpawnError("your server's extension ConfigMap", e);
    }
    return { configMapName: name, fileNames: Object.keys(files) };
  }

  // --- launches --------------------------------------------------------------------------------

  /**
   * A launch's objects before its pod: the image built for the commit (when image builds are on),
   * and the ConfigMap that carries the agent and its spec to the pod's init container.
   */
  private async prepareLaunchObjects(
    settings: KubernetesSpawnerConfig,
    ref: { userName: string; serverName: string; namespace: string },
  ): Promise<NonNullable<PodManifestOptions["launch"]>> {
    let spec = withPlatform(this.ctx.launch!.spec, "kubernetes");
    let image: string | undefined;
    const build = this.config.launchImageBuild;
    if (build.enabled) {
      image = await this.ensureLaunchImage(spec, build);
      spec = { ...spec, environment: { ...spec.environment, builder: "image" } };
    }
    const configMap = buildLaunchConfigMap({ ...ref, spawnId: this.ctx.spawnId, spec, agentScript: buildAgentBootstrap(await loadAgentZip()) });
    this.state.launchConfigMap = configMap.metadata!.name!;
    try {
      this.state.launchConfigMapUid = await createSpawnObject(this.client, this.namespace(), { kind: "ConfigMap", body: configMap });
    } catch (e) {
      throw apiSpawnError("your launch's ConfigMap", e);
    }
    return { configMapName: configMap.metadata!.name!, paths: buildLaunchPodPaths(spec, settings.storage.mountPath), image, python: "python3" };
  }

  /**
   * The image of the launch's commit: built by a Job unless a Job of that image completed before
   * (Jobs are kept: the Job is the cache), waited for while it builds. A failed Job is deleted so
   * that the next launch tries again; this one fails with the builder's log.
   */
  private async ensureLaunchImage(spec: PrepareSpec, build: LaunchImageBuild): Promise<string> {
    const namespace = this.namespace();
    const imageRef = buildLaunchImageRef(build.registry!, spec.repo.url, spec.repo.commit);
    const body = buildImageBuildJob({ namespace, imageRef, repoUrl: spec.repo.url, commit: spec.repo.commit, ref: spec.repo.ref, build });
    const name = body.metadata!.name!;
    let job = await this.readJob(name);
    if (job && readBuildJobState(job).state === "failed") {
      await this.client.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: "Background" }).catch(() => undefined);
      await this.waitJobGone(name);
      job = null;
    }
    if (job && readBuildJobState(job).state === "built") {
      this.progressLog.push(20, `The image ${imageRef} was built for this commit before: nothing to build`, { phase: "building", cached: true });
      return imageRef;
    }
    if (!job) {
      try {
        job = await this.client.batch.createNamespacedJob({ namespace, body });
        this.progressLog.push(10, `Building the image ${imageRef} (Job ${name})`, { phase: "building" });
      } catch (e) {
        // another launch of the same commit started the build first: wait for that one
        if (getApiStatusCode(e) !== 409) throw apiSpawnError("the image build Job", e);
        this.progressLog.push(10, `Waiting for the build of ${imageRef} that another launch started (Job ${name})`, { phase: "building" });
      }
    }
    const deadline = Date.now() + (build.buildTimeoutSeconds + 60) * 1000;
    for (;;) {
      this.throwIfStopRequested();
      job = await this.readJob(name);
      const state = job ? readBuildJobState(job) : { state: "failed" as const, reason: "the build Job was deleted" };
      if (state.state === "built") {
        this.progressLog.push(30, `Built the image ${imageRef}`, { phase: "building", cached: false });
        return imageRef;
      }
      if (state.state === "failed") throw new SpawnError(`The image build failed (${state.reason}).`, await this.buildLogTail(name));
      if (Date.now() > deadline)
        throw new SpawnError(
          `The image build did not finish within ${build.buildTimeoutSeconds} s (spawner.kubernetes.launchImageBuild.buildTimeoutSeconds).`,
          await this.buildLogTail(name),
        );
      await sleep(LAUNCH_POLL_MS);
    }
  }

  private async readJob(name: string): Promise<V1Job | null> {
    try {
      return await this.client.batch.readNamespacedJob({ name, namespace: this.namespace() });
    } catch (e) {
      if (getApiStatusCode(e) === 404) return null;
      throw apiSpawnError("the image build Job", e);
    }
  }

  private async waitJobGone(name: string): Promise<void> {
    const end = Date.now() + FORCE_DELETE_WAIT_MS;
    while (Date.now() < end && (await this.readJob(name))) await sleep(200);
  }

  /** The builder's last log lines (the Job's pod), "" when there are none. */
  private async buildLogTail(jobName: string): Promise<string> {
    try {
      const pods = await this.client.core.listNamespacedPod({ namespace: this.namespace(), labelSelector: `job-name=${jobName}` });
      const pod = pods.items.at(-1);
      if (!pod?.metadata?.name) return "";
      const text = await this.client.core.readNamespacedPodLog({ name: pod.metadata.name, namespace: this.namespace(), tailLines: 30 });
      return typeof text === "string" ? text : String(text ?? "");
    } catch {
      return "";
    }
  }

  /**
   * Reads the init container's log once a second while the pod starts: the agent's phase lines
   * become progress. stop() reads what is left and returns the agent's failure, if it said one.
   */
  private followPrepareLog(podName: string): { stop(): Promise<AgentProgressReader> } {
    const reader = new AgentProgressReader({ range: AGENT_PROGRESS_RANGE });
    let seenLines = 0;
    let stopped = false;
    const readOnce = async (final: boolean) => {
      let text: string;
      try {
        const raw = await this.client.core.readNamespacedPodLog({ name: podName, namespace: this.namespace(), container: PREPARE_CONTAINER_NAME });
        text = typeof raw === "string" ? raw : String(raw ?? "");
      } catch {
        return; // not started yet
      }
      // whole lines only until the end: the last one may be half written
      const splitter = new LineSplitter();
      const lines = [...splitter.push(text), ...(final ? splitter.end() : [])];
      for (const line of lines.slice(seenLines)) {
        const ev = reader.read(line);
        if (ev) this.progressLog.push(ev.progress, ev.message, ev);
      }
      seenLines = Math.max(seenLines, lines.length);
    };
    const loop = (async () => {
      while (!stopped && !reader.result && !reader.failure) {
        await readOnce(false);
        if (!stopped) await sleep(LAUNCH_POLL_MS);
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
        if (!reader.result && !reader.failure) await readOnce(true);
        return reader;
      },
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function apiSpawnError(what: string, err: unknown): SpawnError {
  const code = getApiStatusCode(err);
  const message = getApiErrorMessage(err);
  if (code === 422) return new SpawnError(`Kubernetes refused ${what}: ${message}`);
  if (code === 403) return new SpawnError(`The hub may not create ${what} (${message}); check its RBAC role.`);
  return new SpawnError(`Could not create ${what}: ${message}`);
}

function watchLogger(log: SpawnLogger): (message: string, err?: unknown) => void {
  return (message, err) => log.warn(err ? { err: err instanceof Error ? err.message : inspect(err) } : {}, message);
}

/** Options of reconcileKubernetesPods. */
export interface ReconcileOptions {
  config: KubernetesSpawnerConfig;
  /** spawn ids of every server the hub still considers alive (running, starting, pending, stopping) */
  keepSpawnIds: Iterable<string>;
  log: SpawnLogger;
  /** seam for tests */
  client?: KubeClient;
}

/**
 * Hub start: deletes Gyre pods (and their token Secrets and ConfigMaps) of the configured namespace whose spawn
 * is not one the hub still knows as alive: pods left by servers that were stopped or failed
 * while the hub was down. Claims are never touched. Alive servers are adopted by the worker's
 * usual loadState() + poll(), which read the same shared watch. Returns the deleted pod names.
 */
export async function reconcileKubernetesPods(opts: ReconcileOptions): Promise<{ deleted: string[]; kept: string[] }> {
  const client = opts.client ?? getKubeClient(opts.config);
  const namespace = opts.config.namespace;
  const watch = getNamespaceWatch(client, namespace, watchLogger(opts.log));
  await watch.ready();
  const keep = new Set(opts.keepSpawnIds);
  const deleted: string[] = [];
  const kept: string[] = [];
  for (const pod of watch.listPods()) {
    const name = pod.metadata!.name!;
    const annotations = pod.metadata?.annotations ?? {};
    const spawnId = annotations[ANNOTATIONS.spawnId];
    if (spawnId && keep.has(spawnId)) {
      kept.push(name);
      continue;
    }
    if (pod.metadata?.deletionTimestamp) continue;
    try {
      await client.core.deleteNamespacedPod({
        name,
        namespace,
        gracePeriodSeconds: opts.config.stopGraceSeconds,
        body: { gracePeriodSeconds: opts.config.stopGraceSeconds, preconditions: { uid: pod.metadata!.uid! } },
      });
      deleted.push(name);
      opts.log.info({ pod: name, spawnId }, "deleted the pod of a server that is no longer running");
    } catch (e) {
      if (getApiStatusCode(e) !== 404) opts.log.warn({ pod: name, err: getApiErrorMessage(e) }, "could not delete a leftover pod");
      continue;
    }
    const user = annotations[ANNOTATIONS.user];
    if (user === undefined) continue;
    // the token Secret and the launch's and the extension's ConfigMaps of that same spawn only: a
    // pending spawn of the server may have made new ones
    const serverName = annotations[ANNOTATIONS.serverName] ?? "";
    const secretName = buildObjectName({ kind: "secret", userName: user, serverName });
    await deleteSpawnObject(client, "Secret", namespace, secretName, { spawnId }).catch((e: unknown) =>
      opts.log.warn({ secret: secretName, err: getApiErrorMessage(e) }, "could not delete a leftover token secret"),
    );
    for (const kind of ["launch", "extension"] as const) {
      const configMapName = buildObjectName({ kind, userName: user, serverName });
      await deleteSpawnObject(client, "ConfigMap", namespace, configMapName, { spawnId }).catch((e: unknown) =>
        opts.log.warn({ configMap: configMapName, err: getApiErrorMessage(e) }, `could not delete a leftover ${kind} ConfigMap`),
      );
    }
  }
  return { deleted, kept };
}

/** Requests this process sent to the API server for `config`'s cluster (tests, benchmarks). */
export function getKubernetesRequestCounts(config: Pick<KubernetesSpawnerConfig, "kubeconfigPath" | "kubeContext">): RequestCounts {
  return getKubeClient(config).getRequestCounts();
}

/**
 * The Kubernetes kind started for one hub (spawners/kubernetes/kind.ts). At hub start it deletes
 * pods whose server is no longer alive (reconcileKubernetesPods; running servers were adopted
 * first, through loadState() + poll() on the same shared watch); at shutdown it closes the
 * shared watches.
 */
export function startKubernetesSpawners(config: KubernetesSpawnerConfig, services: HubServices): SpawnerKindRuntime {
  return {
    create: (ctx) => new KubernetesSpawner(ctx, config),
    reconcile: async ({ aliveSpawnIds }) => {
      await reconcileKubernetesPods({ config, keepSpawnIds: aliveSpawnIds, log: services.log });
    },
    close: () => closeNamespaceWatches(),
  };
}
