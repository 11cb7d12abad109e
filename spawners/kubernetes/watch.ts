// Shared watches (I/O): ONE pod watch (Gyre's user pods, by label) and ONE event watch (events
// about pods) per namespace and hub process, feeding an in-memory cache. Every spawner of that
// namespace reads the cache, so poll() sends no request at all and a spawn sends a constant
// number, however many servers run (KubeSpawner's reflector idea;
// https://github.com/jupyterhub/kubespawner/issues/423, /209 and /753 are what happens when each
// spawner asks the API server itself).
//
// The watches follow the list-then-watch protocol: list (the cache and a resourceVersion), then
// watch from that resourceVersion. A watch the server ends is resumed from the last version seen
// (bookmarks keep it fresh); a watch answered with 410 Gone (the version was compacted away) is
// followed by a new list, which replaces the cache, and a new watch.
import type { CoreV1Event, V1Pod } from "@kubernetes/client-node";
import { NAME_PREFIXES } from "./names";
import { SERVER_POD_SELECTOR } from "./manifests";
import { getApiStatusCode, type KubeClient } from "./client";

/** How long to wait before resuming a watch that failed with something other than 410. */
const RETRY_DELAY_MS = 1000;
/** Ask the server to end each watch after this long; it is resumed at once (keeps proxies honest). */
const DEFAULT_WATCH_TIMEOUT_SECONDS = 300;

type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

interface ListResult<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

interface ReflectorOptions<T> {
  client: KubeClient;
  /** collection path, e.g. /api/v1/namespaces/ns/pods */
  path: string;
  /** labelSelector / fieldSelector */
  selector: Record<string, string>;
  list(): Promise<ListResult<T>>;
  /** after every (re)list: the full set of objects */
  onList(items: T[]): void;
  onEvent(type: WatchEventType, obj: T): void;
  onProblem(message: string, err?: unknown): void;
  watchTimeoutSeconds: number;
}

/** Counters of one reflector, for tests and logs. */
export interface ReflectorStats {
  lists: number;
  watches: number;
  /** lists caused by 410 Gone */
  relistsAfterGone: number;
}

/** list + watch of one collection, resumed after disconnects and re-listed after 410 Gone. */
class Reflector<T extends { metadata?: { resourceVersion?: string } }> {
  readonly stats: ReflectorStats = { lists: 0, watches: 0, relistsAfterGone: 0 };
  private resourceVersion = "";
  private controller: AbortController | null = null;
  private attempt = 0;
  private closed = false;
  private synced: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: ReflectorOptions<T>) {}

  /** Starts (once); resolves after the first list, when the cache is complete. */
  start(): Promise<void> {
    this.synced ??= this.relist().catch((err) => {
      // let the next caller try again rather than caching a failure forever
      this.synced = null;
      throw err;
    });
    return this.synced;
  }

  close(): void {
    this.closed = true;
    this.attempt++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.controller?.abort();
    this.controller = null;
  }

  private async relist(): Promise<void> {
    const result = await this.opts.list();
    this.stats.lists++;
    this.resourceVersion = result.metadata?.resourceVersion ?? "";
    this.opts.onList(result.items);
    void this.startWatch();
  }

  private async startWatch(): Promise<void> {
    if (this.closed) return;
    const attempt = ++this.attempt;
    let gone = false;
    let finished = false;
    const finish = (err: unknown) => {
      if (finished || attempt !== this.attempt || this.closed) return;
      finished = true;
      this.controller = null;
      if (gone || getApiStatusCode(err) === 410) this.recoverFromGone();
      else if (err) this.retryLater(err);
      else void this.startWatch(); // the server ended the stream (timeoutSeconds): resume
    };
    this.stats.watches++;
    try {
      this.controller = await this.opts.client.watch(
        this.opts.path,
        { ...this.opts.selector, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.opts.watchTimeoutSeconds },
        (type, object) => {
          if (attempt !== this.attempt) return;
          const obj = object as T & { code?: number };
          if (type === "ERROR") {
            // {"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}}
            if (obj.code === 410) gone = true;
            else this.opts.onProblem(`watch of ${this.opts.path} sent an error: ${JSON.stringify(object)}`);
            this.controller?.abort();
            finish(null);
            return;
          }
          const rv = obj.metadata?.resourceVersion;
          if (rv) this.resourceVersion = rv;
          if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") this.opts.onEvent(type, obj);
        },
        finish,
      );
      // the controller of an attempt that already finished (an error before this resolved)
      if (finished) this.controller = null;
    } catch (err) {
      finish(err);
    }
  }

  private recoverFromGone(): void {
    this.stats.relistsAfterGone++;
    this.opts.onProblem(`watch of ${this.opts.path}: resourceVersion ${this.resourceVersion} is gone (410); listing again`);
    this.relist().catch((err) => this.retryLater(err, true));
  }

  private retryLater(err: unknown, relist = false): void {
    if (this.closed) return;
    this.opts.onProblem(`watch of ${this.opts.path} failed; retrying in ${RETRY_DELAY_MS} ms`, err);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (relist) this.relist().catch((e) => this.retryLater(e, true));
      else void this.startWatch();
    }, RETRY_DELAY_MS);
  }
}

/** What the shared watches of one namespace know, and who wants to hear about changes. */
export class NamespaceWatch {
  private readonly pods = new Map<string, V1Pod>();
  /** events by the uid of the pod they are about, in arrival order */
  private readonly eventsByPod = new Map<string, CoreV1Event[]>();
  /** event uid → resourceVersion already delivered (a re-list must not repeat events) */
  private readonly seenEvents = new Map<string, string>();
  private readonly podListeners = new Map<string, Set<() => void>>();
  private readonly eventListeners = new Map<string, Set<(e: CoreV1Event) => void>>();
  private readonly podReflector: Reflector<V1Pod>;
  private readonly eventReflector: Reflector<CoreV1Event>;

  constructor(
    readonly client: KubeClient,
    readonly namespace: string,
    private readonly log: (message: string, err?: unknown) => void = () => {},
    /** seconds after which the server ends each watch and it is resumed (tests use a few) */
    watchTimeoutSeconds = DEFAULT_WATCH_TIMEOUT_SECONDS,
  ) {
    const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
    this.podReflector = new Reflector<V1Pod>({
      client,
      path: `${base}/pods`,
      selector: { labelSelector: SERVER_POD_SELECTOR },
      list: () => client.core.listNamespacedPod({ namespace, labelSelector: SERVER_POD_SELECTOR }),
      onList: (items) => this.replacePods(items),
      onEvent: (type, pod) => this.applyPod(type, pod),
      onProblem: log,
      watchTimeoutSeconds,
    });
    // Events cannot be selected by label; the field selector keeps to pod events and the name
    // filter below to Gyre's pods, so a busy shared namespace costs little memory.
    const fieldSelector = "involvedObject.kind=Pod";
    this.eventReflector = new Reflector<CoreV1Event>({
      client,
      path: `${base}/events`,
      selector: { fieldSelector },
      list: () => client.core.listNamespacedEvent({ namespace, fieldSelector }),
      onList: (items) => {
        for (const e of items) this.applyEvent("ADDED", e);
      },
      onEvent: (type, e) => this.applyEvent(type, e),
      onProblem: log,
      watchTimeoutSeconds,
    });
  }

  /** Resolves once both caches are filled (two list requests, the first time only). */
  async ready(): Promise<void> {
    await Promise.all([this.podReflector.start(), this.eventReflector.start()]);
  }

  /** The cached pod, or null. */
  getPod(name: string): V1Pod | null {
    return this.pods.get(name) ?? null;
  }

  /** Every cached Gyre pod of the namespace. */
  listPods(): V1Pod[] {
    return [...this.pods.values()];
  }

  /** Calls `cb` whenever the pod `name` changes (or appears, or goes); returns the unsubscribe. */
  onPodChange(name: string, cb: () => void): () => void {
    let set = this.podListeners.get(name);
    if (!set) this.podListeners.set(name, (set = new Set()));
    set.add(cb);
    return () => {
      set.delete(cb);
      if (set.size === 0) this.podListeners.delete(name);
    };
  }

  /**
   * Calls `cb` for each event about the pod with `podUid`: those already received first, then
   * new ones as they arrive. Returns the unsubscribe.
   */
  onPodEvent(podUid: string, cb: (e: CoreV1Event) => void): () => void {
    for (const e of this.eventsByPod.get(podUid) ?? []) cb(e);
    let set = this.eventListeners.get(podUid);
    if (!set) this.eventListeners.set(podUid, (set = new Set()));
    set.add(cb);
    return () => {
      set.delete(cb);
      if (set.size === 0) this.eventListeners.delete(podUid);
    };
  }

  /**
   * Resolves with the pod (or null) as soon as `done(pod)` holds, checking now and at every
   * change; rejects with `timeoutError()` after `timeoutMs` or when `signal` aborts.
   */
  waitForPod(name: string, done: (pod: V1Pod | null) => boolean, timeoutMs: number, timeoutError: () => Error, signal?: AbortSignal): Promise<V1Pod | null> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const pod = this.getPod(name);
        if (!done(pod)) return false;
        cleanup();
        resolve(pod);
        return true;
      };
      const onAbort = () => {
        cleanup();
        reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(timeoutError());
      }, timeoutMs);
      const unsubscribe = this.onPodChange(name, () => void check());
      const cleanup = () => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener("abort", onAbort);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (signal?.aborted) onAbort();
      else check();
    });
  }

  /** Lists and watches started so far, and re-lists after 410 Gone. */
  getStats(): { pods: ReflectorStats; events: ReflectorStats } {
    return { pods: { ...this.podReflector.stats }, events: { ...this.eventReflector.stats } };
  }

  /** Stops both watches. */
  close(): void {
    this.podReflector.close();
    this.eventReflector.close();
  }

  private replacePods(items: V1Pod[]): void {
    const changed = new Set<string>(this.pods.keys());
    this.pods.clear();
    for (const pod of items) {
      const name = pod.metadata?.name;
      if (!name) continue;
      this.pods.set(name, pod);
      changed.add(name);
    }
    for (const name of changed) this.notifyPod(name);
  }

  private applyPod(type: WatchEventType, pod: V1Pod): void {
    const name = pod.metadata?.name;
    if (!name) return;
    if (type === "DELETED") {
      this.pods.delete(name);
      // events about a deleted pod are of no further use to anyone
      const uid = pod.metadata?.uid;
      if (uid) this.eventsByPod.delete(uid);
    } else {
      this.pods.set(name, pod);
    }
    this.notifyPod(name);
  }

  private notifyPod(name: string): void {
    for (const cb of [...(this.podListeners.get(name) ?? [])]) cb();
  }

  private applyEvent(type: WatchEventType, e: CoreV1Event): void {
    const uid = e.metadata?.uid;
    const podUid = e.involvedObject?.uid;
    if (!uid || !podUid || !e.involvedObject?.name?.startsWith(`${NAME_PREFIXES.pod}-`)) return;
    if (type === "DELETED") {
      // events expire (an hour by default); forget them with the API server
      this.seenEvents.delete(uid);
      const list = this.eventsByPod.get(podUid);
      if (list) {
        const rest = list.filter((x) => x.metadata?.uid !== uid);
        if (rest.length) this.eventsByPod.set(podUid, rest);
        else this.eventsByPod.delete(podUid);
      }
      return;
    }
    const rv = e.metadata?.resourceVersion ?? "";
    if (this.seenEvents.get(uid) === rv) return;
    this.seenEvents.set(uid, rv);
    const list = this.eventsByPod.get(podUid) ?? [];
    list.push(e);
    this.eventsByPod.set(podUid, list);
    for (const cb of [...(this.eventListeners.get(podUid) ?? [])]) cb(e);
  }
}

const WATCHES_KEY = Symbol.for("gyre.kubernetes.namespaceWatches");
type WatchRegistry = NamespaceWatch[];

function watchRegistry(): WatchRegistry {
  const g = globalThis as unknown as Record<symbol, WatchRegistry | undefined>;
  return (g[WATCHES_KEY] ??= []);
}

/** The shared watch of `namespace` through `client` (created, not yet started, on first use). */
export function getNamespaceWatch(client: KubeClient, namespace: string, log?: (message: string, err?: unknown) => void): NamespaceWatch {
  const registry = watchRegistry();
  const existing = registry.find((w) => w.client === client && w.namespace === namespace);
  if (existing) return existing;
  const w = new NamespaceWatch(client, namespace, log);
  registry.push(w);
  return w;
}

/** Closes every shared watch of this process (hub shutdown, tests simulating a hub restart). */
export function closeNamespaceWatches(): void {
  const registry = watchRegistry();
  for (const w of registry.splice(0)) w.close();
}
