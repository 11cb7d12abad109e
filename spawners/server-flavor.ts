// Pure: which Jupyter application a server command runs, for every spawner (local, batch,
// Kubernetes), and what follows from it. Tested in spawners/local/command.test.ts.

/**
 * Which Jupyter application the command runs: jupyter_server's ServerApp, notebook 6's NotebookApp,
 * or JupyterHub's jupyterhub-singleuser (a ServerApp that logs its users in through the hub's OAuth
 * provider and reports its activity itself, as under JupyterHub).
 */
export type ServerFlavor = "server" | "notebook" | "singleuser";

const baseName = (s: string) => s.slice(s.lastIndexOf("/") + 1);

/**
 * "server" unless the command runs notebook 6 (`jupyter notebook` or `jupyter-notebook`) or
 * JupyterHub's single-user server (`jupyterhub-singleuser`, `python3 -m jupyterhub.singleuser`).
 * `jupyter nbclassic` is a jupyter_server extension app and takes ServerApp flags.
 */
export function detectServerFlavor(command: readonly string[]): ServerFlavor {
  if (baseName(command[0] ?? "") === "jupyterhub-singleuser") return "singleuser";
  if (isPythonModuleForm(command) && command[2] === "jupyterhub.singleuser") return "singleuser";
  if (baseName(command[0] ?? "") === "jupyter-notebook") return "notebook";
  return command.slice(1, 2).includes("notebook") ? "notebook" : "server";
}

/** `[python…, "-m", <module>, …]`: the interpreter runs a module. */
export function isPythonModuleForm(command: readonly string[]): boolean {
  return /^python[0-9.]*$/.test(baseName(command[0] ?? "")) && command[1] === "-m" && typeof command[2] === "string";
}

/**
 * Whether the command's server authenticates its users itself through the hub (OAuth, with the
 * server's client): then the proxy passes requests on without the server's token, and the hub's
 * readiness check identifies itself with the server's API token.
 */
export function usesHubAuth(command: readonly string[]): boolean {
  return detectServerFlavor(command) === "singleuser";
}
