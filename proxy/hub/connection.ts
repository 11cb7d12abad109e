// What the proxy needs from the hub (docs/decisions.md "Proxy ↔ hub"), as an interface: the HTTP
// client (http-client.ts) in production, an in-memory hub (proxy/testing/in-memory-hub.ts) in
// tests that need no hub process.
import type { AuthSnapshot } from "@/proxy/auth/access";

/** What GET /hub/api/proxy/token-owner says about an API token. */
export interface TokenOwner {
  /** the owner's name; "" for a service's token */
  user: string;
  /** a service's token (config `services:`): the service's name; it owns no account */
  service?: string;
  /** the owner's User.id (absent from hubs that predate it: such an owner never matches a route's user_id) */
  userId?: number;
  admin: boolean;
  /** when the token expires (ms since the epoch); null: never. The proxy caches an owner no longer. */
  expiresAt?: number | null;
  scopes?: string[];
  /** whether the scopes let the token reach user servers (tokenAllowsServerAccess) */
  serverAccess: boolean;
  /** the only servers it reaches, "<user>/<server>" (tokenServerLimits); absent: not limited */
  servers?: string[];
  /** the only users whose servers it reaches (tokenServerLimits); absent: not limited */
  users?: string[];
}

/**
 * How long the hub's server-check waits for the poll of a running server (a batch job's end takes
 * the scheduler up to ~3 s of teardown to report as final); the hub's route uses the same figure.
 */
export const SERVER_CHECK_HUB_WAIT_MS = 6000;

/** What POST /hub/api/proxy/server-check says of a server the proxy could not reach. */
export interface ServerCheck {
  /** the server's state after the hub checked it: "running", "starting", "stopped", "failed", … */
  state: string;
  /** why it failed or stopped, in the scheduler's or the process's words; null: nothing recorded */
  message: string | null;
  /** ISO 8601, for stopped and failed servers */
  stoppedAt: string | null;
}

/** The hub answered a request of the proxy with a refusal (4xx): status and the hub's message, for the proxy to pass on. */
export class HubRefusal extends Error {
  name = "HubRefusal";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface HubConnection {
  /** The full route table, configurable-http-proxy's GET /api/routes shape. Rejects when the hub cannot be asked. */
  fetchRoutes(): Promise<Record<string, unknown>>;
  /** Admins and revoked sessions. Rejects when the hub cannot be asked (the last snapshot stays in force). */
  fetchAuth(): Promise<AuthSnapshot>;
  /** The owner of an API token, or null when the hub does not know it. Rejects when the hub cannot be asked. */
  fetchTokenOwner(token: string): Promise<TokenOwner | null>;
  /** Reports the last activity per routespec ("/user/alice/": ISO time). */
  postActivity(activity: Record<string, string>): Promise<void>;
  /**
   * Asks the hub to check a server now (its route's target did not answer); null when the hub
   * knows no such server. Rejects when the hub cannot be asked.
   */
  checkServer(target: { user: string; server: string }): Promise<ServerCheck | null>;
  /**
   * Stores a route another client posted to this proxy's route API; the hub pushes it to every
   * proxy and lists it in the full table (docs/decisions.md "Proxy ↔ hub"). Rejects with
   * HubRefusal when the hub refuses it, with another error when the hub cannot be asked.
   */
  saveExtraRoute(path: string, data: Record<string, unknown>): Promise<void>;
  /** Removes such a route everywhere; false when the hub has none at that path. Rejects like saveExtraRoute. */
  deleteExtraRoute(path: string): Promise<boolean>;
  /** Releases connections (proxy shutdown). */
  close(): void;
}
