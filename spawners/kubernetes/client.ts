// The Kubernetes API client of the spawner (I/O): how the hub reaches the API server, and a
// count of every request it sends there, so tests and benchmarks can check the spawner's API
// load (constant per spawn, none per poll).
//
// One client per (kubeconfig, context) per hub process, shared by every spawner and watch:
// `getKubeClient()`. It lives on globalThis because Next bundles its own copy of our modules
// (docs/decisions.md) and a second copy would open a second set of watches.
import { ApiException, BatchV1Api, CoreV1Api, KubeConfig, ServerConfiguration, Watch, createConfiguration, type Middleware } from "@kubernetes/client-node";

/** Where the API server is: a kubeconfig (and context), or the in-cluster service account. */
export interface KubeClientOptions {
  /** kubeconfig file; unset: in-cluster when running in a pod, else the default kubeconfig */
  kubeconfigPath?: string;
  /** context in the kubeconfig; unset: its current context */
  kubeContext?: string;
}

/** Requests sent to the API server, by kind; watches count once per connection. */
export interface RequestCounts {
  total: number;
  watches: number;
  byMethod: Record<string, number>;
}

/**
 * Loads credentials: `kubeconfigPath` (+ `kubeContext`) when set; otherwise the pod's service
 * account when the hub runs in a cluster (KUBERNETES_SERVICE_HOST is set there), else the
 * default kubeconfig (~/.kube/config or $KUBECONFIG).
 */
export function loadKubeConfig(opts: KubeClientOptions, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfigPath) kc.loadFromFile(opts.kubeconfigPath);
  else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (opts.kubeContext) {
    if (!kc.getContextObject(opts.kubeContext)) throw new Error(`kubeconfig has no context "${opts.kubeContext}" (spawner.kubernetes.kubeContext)`);
    kc.setCurrentContext(opts.kubeContext);
  }
  if (!kc.getCurrentCluster()) throw new Error("the kubeconfig names no cluster for its current context");
  return kc;
}

/** CoreV1Api (and batch/v1 for launch image builds) plus watches over one KubeConfig, counting every request. */
export class KubeClient {
  /** typed core/v1 calls; every call goes through the counting middleware */
  readonly core: CoreV1Api;
  /** typed batch/v1 calls (image build Jobs), counted the same way */
  readonly batch: BatchV1Api;
  private readonly watcher: Watch;
  private readonly counts: RequestCounts = { total: 0, watches: 0, byMethod: {} };

  constructor(readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig names no cluster for its current context");
    const counter: Middleware = {
      pre: async (req) => {
        this.count(req.getHttpMethod());
        return req;
      },
      post: async (res) => res,
    };
    // What KubeConfig.makeApiClient does, plus the counting middleware.
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [counter],
    });
    this.core = new CoreV1Api(configuration);
    this.batch = new BatchV1Api(configuration);
    this.watcher = new Watch(kc);
  }

  /**
   * Opens a watch on `path` (e.g. /api/v1/namespaces/ns/pods). `onEvent` gets each event;
   * `onDone` gets null when the server ends the stream and the error otherwise. Counted as one
   * request. Returns the controller that aborts it.
   */
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, object: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<AbortController> {
    this.count("WATCH");
    this.counts.watches++;
    return this.watcher.watch(path, query, onEvent, onDone);
  }

  /** A copy of the request counts so far (tests take differences). */
  getRequestCounts(): RequestCounts {
    return { ...this.counts, byMethod: { ...this.counts.byMethod } };
  }

  private count(method: string): void {
    this.counts.total++;
    this.counts.byMethod[method] = (this.counts.byMethod[method] ?? 0) + 1;
  }
}

const CLIENTS_KEY = Symbol.for("gyre.kubernetes.clients");
type ClientRegistry = Map<string, KubeClient>;

function clientRegistry(): ClientRegistry {
  const g = globalThis as unknown as Record<symbol, ClientRegistry | undefined>;
  return (g[CLIENTS_KEY] ??= new Map<string, KubeClient>());
}

/** The shared client for these options (created on first use). */
export function getKubeClient(opts: KubeClientOptions): KubeClient {
  const key = JSON.stringify([opts.kubeconfigPath ?? "", opts.kubeContext ?? ""]);
  const registry = clientRegistry();
  let client = registry.get(key);
  if (!client) {
    client = new KubeClient(loadKubeConfig(opts));
    registry.set(key, client);
  }
  return client;
}

/** Forgets the shared clients (tests, after closing their watches). */
export function resetKubeClients(): void {
  clientRegistry().clear();
}

/** The HTTP status of a failed API call (ApiException or a watch error), or null. */
export function getApiStatusCode(err: unknown): number | null {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: unknown; code?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : null;
}

/**
 * The API server's own message for a failed call (the Status object's `message`, e.g. the
 * validation errors of a 422), else the error's message.
 */
export function getApiErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    let parsed: unknown = body;
    if (typeof body === "string") {
      try {
        parsed = JSON.parse(body);
      } catch {
        return body.trim() || `HTTP ${err.code}`;
      }
    }
    const message = (parsed as { message?: unknown } | null)?.message;
    if (typeof message === "string" && message) return message;
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}
