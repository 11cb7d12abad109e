// Pure: the argv, environment and working directory of a local Jupyter server, from one options
// object. Tested against literal arrays in command.test.ts. Loopback only, no port hopping
// (port_retries 0), the token through the environment (argv is world-readable through ps).

import { detectServerFlavor, type ServerFlavor } from "../server-flavor";

export { detectServerFlavor, usesHubAuth, type ServerFlavor } from "../server-flavor";

/** Everything that decides how one server is launched. */
export interface ServerLaunchOptions {
  /** the spawn's id, set as GYRE_SPAWN_ID so a hub that takes the spawn over finds its process (spawnLeftovers) */
  spawnId: string;
  /** the configured command, e.g. ["/usr/bin/jupyter", "server"] */
  command: string[];
  /** `spawner.local.args`, appended after Gyre's own flags so they can override them */
  extraArgs: string[];
  /** the loopback TCP port; unused when socketPath is set */
  port: number;
  /**
   * A unix socket to listen on instead of 127.0.0.1:port, created 0600 inside the 0700 runtime
   * dir: only the server's account (and root: the proxy) can connect, where a loopback port is open
   * to every account on the host.
   */
  socketPath?: string;
  /**
   * Gyre's agent zip, readable by the account: put first on PYTHONPATH and its Jupyter server
   * extension loaded (the dashboard relay under <base>proxy/<port>/, spawners/agent/gyre_agent).
   */
  agentZip?: string;
  /** public path prefix, e.g. "/user/alice/" or "/user/alice/gpu/" */
  baseUrl: string;
  notebookDir: string;
  defaultUrl: string;
  /** per-server JUPYTER_RUNTIME_DIR (holds the cookie secret, connection files, jpserver-*.json) */
  runtimeDir: string;
  /** the server itself will run as uid 0: only then is --allow-root passed */
  runAsRoot: boolean;
  /**
   * Set when the hub is root and the server must run as another account: the command is wrapped
   * in setpriv, which also sets the account's supplementary groups (Node's own uid/gid switch drops
   * them, and group-shared project directories are common on science clusters).
   */
  switchUser: { uid: number; gid: number; setprivPath: string } | null;
  /** the OS account the server runs as */
  account: { name: string; home: string; shell: string };
  hubUser: string;
  /** "" for the default server */
  serverName: string;
  /** the server's token; goes into JUPYTER_TOKEN, never argv */
  token: string;
  /** the server's hub API token (SpawnContext.apiToken); JUPYTERHUB_API_TOKEN and JPY_API_TOKEN, never argv */
  apiToken: string;
  /** the hub's own environment, only read for the names in envPassthrough */
  hubEnv: Record<string, string | undefined>;
  envPassthrough: string[];
  /** `spawner.local.env` (admin's settings) */
  configEnv: Record<string, string>;
  /** `ctx.env` (computed by the hub for this spawn); wins over configEnv */
  ctxEnv: Record<string, string>;
  /** set by a launch (its environment first on JUPYTER_PATH); wins over ctxEnv */
  launchEnv?: Record<string, string>;
  /** the server's working directory (kernels started without a path run there); default the home */
  cwd?: string;
  /**
   * The Python environment servers run from (spawner.local.pythonEnvironment): its bin/ goes first
   * on PATH; `conda` says whether it is a conda environment (has conda-meta/) or a virtualenv.
   */
  pythonEnvironment?: { prefix: string; conda: boolean };
}

/** What to hand to child_process.spawn. */
export interface ServerLaunch {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  flavor: ServerFlavor;
}

/** Gyre's Jupyter server extension (the dashboard relay), importable from the agent zip. */
export const GYRE_EXTENSION = "gyre_agent.jupyter_ext";

/** The PATH servers get; the hub's PATH may hold directories the user cannot read (pyenv, …). */
export const SERVER_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Environment names a passthrough list may never copy: Gyre's own settings hold its secrets. */
const FORBIDDEN_PASSTHROUGH = /^(GYRE_|JUPYTER_TOKEN$|JUPYTERHUB_API_TOKEN$|JPY_API_TOKEN$)/;

/** Names Gyre sets last because the server's identity and security depend on them. */
/** The variable that marks a server process with its spawn's id (see spawnLeftovers in process-table.ts). */
export const SPAWN_ID_ENV = "GYRE_SPAWN_ID";

const PROTECTED_ENV = ["GYRE_SPAWN_ID", "HOME", "USER", "LOGNAME", "JUPYTER_TOKEN", "JUPYTER_RUNTIME_DIR", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN"];

/** The Jupyter flags Gyre adds, in a fixed order. */
export function buildServerArgs(
  o: Pick<
    ServerLaunchOptions,
    "command" | "extraArgs" | "port" | "socketPath" | "agentZip" | "baseUrl" | "notebookDir" | "defaultUrl" | "runtimeDir" | "runAsRoot"
  >,
): string[] {
  const flavor = detectServerFlavor(o.command);
  const app = flavor === "notebook" ? "NotebookApp" : "ServerApp";
  // jupyter_server and notebook 6 both refuse --port together with --sock
  const listen = o.socketPath
    ? [`--${app}.sock=${o.socketPath}`, `--${app}.sock_mode=0600`]
    : [
        `--${app}.ip=127.0.0.1`,
        `--${app}.port=${o.port}`,
        // with retries a busy port silently becomes port+1 and the hub would talk to someone else (P5)
        `--${app}.port_retries=0`,
      ];
  const args = [
    ...listen,
    `--${app}.base_url=${o.baseUrl}`,
    flavor === "notebook" ? `--NotebookApp.notebook_dir=${o.notebookDir}` : `--ServerApp.root_dir=${o.notebookDir}`,
    `--${app}.default_url=${o.defaultUrl}`,
    `--${app}.open_browser=False`,
    // the proxy keeps the browser's Host, which is not loopback (P4)
    `--${app}.allow_remote_access=True`,
    `--${app}.trust_xheaders=True`,
    `--${app}.quit_button=False`,
    // one cookie secret per server, or servers of one OS account accept each other's cookies (P3)
    `--${app}.cookie_secret_file=${joinPath(o.runtimeDir, "cookie_secret")}`,
  ];
  if (flavor === "notebook") {
    // notebook 6 sets its _xsrf cookie on Path=/, where it collides between users (P7)
    args.push(`--NotebookApp.tornado_settings=${JSON.stringify({ xsrf_cookie_kwargs: { path: o.baseUrl } })}`);
  }
  // jupyterhub-singleuser too: the extension then lends its busy-kernel rule to the server's own
  // activity reports and adds the dashboard relay (a command-line flag, which no config file of
  // the user's overrides; the extension adds handlers and changes nothing of the server's auth)
  if (o.agentZip) {
    // a Dict trait given as key=value; notebook 6 names its extensions nbserver_extensions
    args.push(flavor === "notebook" ? `--NotebookApp.nbserver_extensions=${GYRE_EXTENSION}=True` : `--ServerApp.jpserver_extensions=${GYRE_EXTENSION}=True`);
  }
  if (o.runAsRoot) args.push("--allow-root");
  return [...args, ...o.extraArgs];
}

/**
 * The server's environment: an allow-list, never the hub's environment (which holds the hub's
 * secrets). Later layers win: base < passthrough < configEnv < ctxEnv < identity and token.
 */
export function buildServerEnv(o: ServerLaunchOptions): Record<string, string> {
  const userPrefix = userPrefixOf(o.baseUrl, o.serverName);
  const pyEnv = o.pythonEnvironment;
  const env: Record<string, string> = {
    PATH: pyEnv ? `${pyEnv.prefix}/bin:${SERVER_PATH}` : SERVER_PATH,
    // What activation would set (activate.d scripts of conda packages are not run; set what they
    // add, e.g. PROJ_DATA, with spawner.local.env).
    ...(pyEnv ? (pyEnv.conda ? { CONDA_PREFIX: pyEnv.prefix, CONDA_DEFAULT_ENV: pyEnv.prefix } : { VIRTUAL_ENV: pyEnv.prefix }) : {}),
    LANG: "C.UTF-8",
    SHELL: o.account.shell,
    JUPYTERHUB_USER: o.hubUser,
    JUPYTERHUB_SERVER_NAME: o.serverName,
    JUPYTERHUB_SERVICE_PREFIX: o.baseUrl,
    // JupyterHub's Spawner.get_env: where the server listens (a unix socket has no such URL), its
    // default page and its root directory (also Gyre's flags: jupyterhub-singleuser reads these)
    ...(o.socketPath ? {} : { JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${o.port}${o.baseUrl}` }),
    JUPYTERHUB_DEFAULT_URL: o.defaultUrl,
    JUPYTERHUB_ROOT_DIR: o.notebookDir,
    // Dask's client.dashboard_link then points through the proxy's /user/<name>/proxy/<port>/
    DASK_DISTRIBUTED__DASHBOARD__LINK: `${userPrefix}proxy/{port}/status`,
  };
  for (const name of o.envPassthrough) {
    const v = o.hubEnv[name];
    if (v !== undefined && !FORBIDDEN_PASSTHROUGH.test(name)) env[name] = v;
  }
  Object.assign(env, o.configEnv, o.ctxEnv, o.launchEnv);
  for (const name of PROTECTED_ENV) delete env[name];
  return {
    ...env,
    HOME: o.account.home,
    USER: o.account.name,
    LOGNAME: o.account.name,
    JUPYTER_TOKEN: o.token,
    JUPYTER_RUNTIME_DIR: o.runtimeDir,
    // JupyterHub's name, and the older one jupyterhub-singleuser still reads
    JUPYTERHUB_API_TOKEN: o.apiToken,
    JPY_API_TOKEN: o.apiToken,
    [SPAWN_ID_ENV]: o.spawnId,
    // the agent first, so an admin's PYTHONPATH cannot shadow the extension the relay lives in
    ...(o.agentZip ? { PYTHONPATH: env.PYTHONPATH ? `${o.agentZip}:${env.PYTHONPATH}` : o.agentZip } : {}),
  };
}

/** argv (wrapped in setpriv when switching accounts), env and cwd of the server. */
export function buildServerLaunch(o: ServerLaunchOptions): ServerLaunch {
  const flavor = detectServerFlavor(o.command);
  const serverArgv = [...o.command, ...buildServerArgs(o)];
  const env = buildServerEnv(o);
  if (o.switchUser) {
    const { uid, gid, setprivPath } = o.switchUser;
    return { file: setprivPath, args: [`--reuid=${uid}`, `--regid=${gid}`, "--init-groups", "--", ...serverArgv], env, cwd: o.cwd ?? o.account.home, flavor };
  }
  return { file: serverArgv[0], args: serverArgv.slice(1), env, cwd: o.cwd ?? o.account.home, flavor };
}

/** "/user/alice/gpu/" with server "gpu" → "/user/alice/"; "/user/alice/" → itself. */
export function userPrefixOf(baseUrl: string, serverName: string): string {
  return serverName ? baseUrl.replace(/[^/]+\/$/, "") : baseUrl;
}

/** Safe fragment of a file name: letters, digits, "-", "_", "." only. */
export function toFileNamePart(s: string): string {
  return s
    .replace(/[^A-Za-z0-9_.-]/g, "_")
    .replace(/^\.+/, "_")
    .slice(0, 64);
}

/** mkdtemp prefix of per-spawn runtime dirs in the temp dir; stop() only ever removes such paths. */
export const RUNTIME_DIR_PREFIX = "gyre-rt-";
/**
 * Characters of the user name a runtime dir's name keeps (hub names have up to 255): the server's
 * socket, <TMPDIR>/gyre-rt-<name>-XXXXXX/jupyter.sock, must fit a unix socket's 107 bytes, and
 * with 20 it is 53 bytes plus TMPDIR's length for any name. mkdtemp's suffix keeps dirs apart.
 */
export const RUNTIME_DIR_NAME_CHARS = 20;

/** The mkdtemp prefix of a server's runtime dir: "gyre-rt-alice-". */
export function runtimeDirPrefix(userName: string): string {
  return `${RUNTIME_DIR_PREFIX}${toFileNamePart(userName).slice(0, RUNTIME_DIR_NAME_CHARS)}-`;
}

/** Log file of one spawn: `<logDir>/<user>[-<server>]-<spawnId>.log`. */
export function buildLogFileName(logDir: string, hubUser: string, serverName: string, spawnId: string): string {
  const who = serverName ? `${toFileNamePart(hubUser)}-${toFileNamePart(serverName)}` : toFileNamePart(hubUser);
  return joinPath(logDir, `${who}-${toFileNamePart(spawnId)}.log`);
}

/**
 * True when a server's log says it could not bind its port (another process took it between our
 * free-port check and the server's bind): jupyter_server "…because port 7107 is not available",
 * notebook 6 the same wording.
 */
export function isPortTakenLog(log: string, port: number): boolean {
  return log.includes(`port ${port} is not available`) || /Address already in use/.test(log);
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/**
 * The Python a launch's agent runs with: the one that runs the server, so that the environment it
 * builds (a venv with --system-site-packages) sits on top of the server's packages. `shebang` is
 * the first line of the server command's file when it is a script ("#!/usr/bin/python3").
 */
export function resolveAgentPython(o: { command: string[]; pythonEnvironment?: { prefix: string }; shebang?: string }): string {
  if (o.pythonEnvironment) return `${o.pythonEnvironment.prefix}/bin/python`;
  const m = /^#!\s*(\/\S*python[0-9.]*)\s*$/.exec(o.shebang ?? "");
  if (m) return m[1];
  const env = /^#!\s*\/usr\/bin\/env\s+(python[0-9.]*)\s*$/.exec(o.shebang ?? "");
  return env ? env[1] : "/usr/bin/python3";
}

/** What the local spawner runs before a launch's server: the agent's `prepare`, as the server's account. */
export interface AgentLaunchOptions extends Pick<
  ServerLaunchOptions,
  "switchUser" | "account" | "hubEnv" | "envPassthrough" | "configEnv" | "pythonEnvironment"
> {
  /** the agent's command: prepare (a launch) or git-pull (a git-pull link); default prepare */
  command?: "prepare" | "git-pull";
  python: string;
  /** the agent's zip (put on PYTHONPATH) */
  agentZip: string;
  specFile: string;
}

/**
 * argv, env and cwd of `python -m gyre_agent prepare|git-pull --spec-file F`. The environment is an
 * allow-list like the server's (the admin's env and passthrough: proxies, pip settings), without
 * the server's token or the hub's identity variables: the agent needs none of them.
 */
export function buildAgentLaunch(o: AgentLaunchOptions): { file: string; args: string[]; env: Record<string, string>; cwd: string } {
  const env: Record<string, string> = { PATH: o.pythonEnvironment ? `${o.pythonEnvironment.prefix}/bin:${SERVER_PATH}` : SERVER_PATH, LANG: "C.UTF-8" };
  for (const name of o.envPassthrough) {
    const v = o.hubEnv[name];
    if (v !== undefined && !FORBIDDEN_PASSTHROUGH.test(name)) env[name] = v;
  }
  Object.assign(env, o.configEnv);
  for (const name of [...PROTECTED_ENV, "PYTHONPATH"]) delete env[name];
  Object.assign(env, { HOME: o.account.home, USER: o.account.name, LOGNAME: o.account.name, PYTHONPATH: o.agentZip });
  const argv = [o.python, "-m", "gyre_agent", o.command ?? "prepare", "--spec-file", o.specFile];
  if (o.switchUser) {
    const { uid, gid, setprivPath } = o.switchUser;
    return { file: setprivPath, args: [`--reuid=${uid}`, `--regid=${gid}`, "--init-groups", "--", ...argv], env, cwd: o.account.home };
  }
  return { file: argv[0], args: argv.slice(1), env, cwd: o.account.home };
}
