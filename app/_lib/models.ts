// JSON shapes of the REST API, following JupyterHub's where they overlap
// (https://jupyterhub.readthedocs.io/en/stable/reference/rest-api.html), so its clients work.
import type { ServerDetails } from "@/spawners/types";

export interface ServerModel {
  /** "" for the default server */
  name: string;
  /** "<user>/<server>" ("<user>/" for the default server), as JupyterHub's */
  full_name: string;
  ready: boolean;
  /** true when the server is neither running nor on its way (JupyterHub: not active) */
  stopped: boolean;
  /** "spawn" | "stop" | null, as in JupyterHub */
  pending: "spawn" | "stop" | null;
  /** Gyre's own state: stopped | pending | running | stopping | failed */
  state: string;
  /** public path of the server, e.g. /user/alice/ */
  url: string;
  progress_url: string;
  /** absolute URL of the server (hub.publicUrl + url) */
  full_url: string | null;
  /** absolute URL of the progress event stream */
  full_progress_url: string | null;
  started: string | null;
  last_activity: string | null;
  /** why the last spawn failed or the server stopped (user-facing) */
  message: string | null;
  /** user options the server was started with */
  user_options: Record<string, unknown>;
  /** Gyre's: what the spawner says beyond the state, e.g. the batch job (id, queue reason, node, walltime end) */
  details: ServerDetails | null;
}

export interface UserModel {
  kind: "user";
  name: string;
  admin: boolean;
  /** JupyterHub's role names: "user", "admin" for admins, then configured roles (set by the REST answers) */
  roles?: string[];
  groups: string[];
  created: string;
  last_activity: string | null;
  /** URL of the default server if running (JupyterHub compat) */
  server: string | null;
  pending: "spawn" | "stop" | null;
  servers: Record<string, ServerModel>;
}

export interface CurrentUser {
  id: number;
  name: string;
  admin: boolean;
  /** value for the X-Gyre-CSRF header of state-changing fetches from pages */
  csrfToken: string;
  sessionId: string;
  /** when the hub session ends (a user-origin session made from it ends no later) */
  sessionExpiresAt: Date;
}
