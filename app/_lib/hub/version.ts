// What GET /hub/api and /hub/api/info answer (pure).
import pkg from "@/package.json";

/**
 * The JupyterHub release whose REST API Gyre follows (its docs/source/_static/rest-api.yml).
 * Clients compare it with packaging.version (jupyterhub-idle-culler turns on the state filter
 * from 1.3, BinderHub and others pick the modern API by it), so it must be a plain version number.
 */
export const JUPYTERHUB_API_VERSION = "5.5.1";

/** GET /hub/api: JupyterHub's version answer (no authentication) and Gyre's own alongside. */
export function versionAnswer() {
  return { version: JUPYTERHUB_API_VERSION, gyre: true, gyre_version: pkg.version };
}

/**
 * GET /hub/api/info (read:hub): JupyterHub's fields with what Gyre runs on — Node in place of
 * Python, the login methods as the authenticator, the spawner kind as the spawner.
 */
export function infoAnswer(opts: { spawnerKind: string; loginMethods: string[]; node: string; executable: string }) {
  return {
    ...versionAnswer(),
    python: null,
    node: opts.node,
    sys_executable: opts.executable,
    authenticator: { class: `gyre:${opts.loginMethods.join("+")}`, version: pkg.version },
    spawner: { class: `gyre:${opts.spawnerKind}`, version: pkg.version },
  };
}
