// Configuration of the local process spawner: the `spawner.local:` section of gyre.config.yaml.
import { z } from "zod";

export const localSpawnerConfigSchema = z
  .object({
    pythonEnvironment: z
      .string()
      // eslint-disable-next-line no-control-regex -- control characters are what it refuses
      .regex(/^\/[^\x00-\x1f]*[^/\x00-\x1f]$/, "must be an absolute path without a trailing slash, e.g. /opt/conda/envs/pangeo")
      .optional()
      .describe(
        "Prefix of the Python environment servers run from: a conda environment or a virtualenv, e.g. /opt/conda/envs/pangeo. Its bin/ comes first on PATH (kernels, dask workers and terminals use its python) and <prefix>/bin/jupyter is the default command. The hub refuses to start if <prefix>/bin/python is missing. Unset: Debian's /usr/bin/jupyter and python3 with the Pangeo packages the quick start installs.",
      ),
    command: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'The server command as an argument list, e.g. ["/usr/bin/jupyter","server"] (classic UI via python3-nbclassic) or ["/usr/bin/jupyter","notebook"]. Gyre appends its socket (or ip and port), base_url and the other hub settings. ["/usr/bin/jupyterhub-singleuser"] (or [python,"-m","jupyterhub.singleuser"]) runs JupyterHub\'s single-user server unchanged, as under JupyterHub: it logs its users in through the hub\'s OAuth provider (the server\'s own client, no consent page for its owner) and reports its activity itself; the proxy still lets only those who may use the server through, but injects no server token. Gyre\'s extension is loaded into it too (the dashboard relay under <base>proxy/<port>/, and a busy kernel counts as activity in the server\'s own reports). Default: ["<pythonEnvironment>/bin/jupyter","server"], or ["/usr/bin/jupyter","server"] without a pythonEnvironment.',
      ),
    args: z.array(z.string()).default([]).describe("Extra arguments appended after Gyre's own."),
    notebookDir: z.string().default("{home}").describe("Notebook directory per user. {home} is the OS user's home, {username} the hub user name."),
    createOsUsers: z
      .boolean()
      .default(false)
      .describe(
        "When root and the user's OS account (hub.osUserTemplate) is missing, create it with useradd (-m). Off by default: on a shared system accounts usually come from LDAP. When the hub is not root, servers run as the hub's own user.",
      ),
    minimumUid: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        "Servers never run as an account with a lower uid (system accounts such as daemon or www-data, which own files and services no user should reach); root is refused always. Applies to every account the hub's mapping gives (hub.osUserTemplate, hub.osUserMapFile, a stored account). Default: UID_MIN from /etc/login.defs, else 1000.",
      ),
    env: z.record(z.string(), z.string()).default({}).describe("Extra environment variables for every server (the environment is otherwise an allow-list)."),
    envPassthrough: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
      .default(["LANG", "LC_ALL", "TZ"])
      .describe("Variables copied from the hub's environment into the server's."),
    listen: z
      .enum(["unix-socket", "loopback-port"])
      .default("unix-socket")
      .describe(
        "How a server listens. unix-socket: a 0600 socket in the server's 0700 runtime directory, so no other account on the host can reach it (the proxy, as root or as the same account, can). loopback-port: 127.0.0.1:<free port>, reachable by every account on the host (the token still guards it); only for server commands that cannot listen on a unix socket.",
      ),
    defaultUrl: z.string().default("/tree").describe("Page a server opens on (its default_url)."),
    stopGraceSeconds: z.number().positive().default(5).describe("After SIGTERM, how long to wait before SIGKILL."),
    logDir: z.string().default("{dataDir}/logs").describe("Where each server's stdout/stderr log is written ({dataDir} = hub.dataDir)."),
  })
  .strict();

export type LocalSpawnerConfig = z.infer<typeof localSpawnerConfigSchema>;

/** The command used when spawner.local.command is unset and there is no pythonEnvironment. */
export const DEFAULT_SERVER_COMMAND: readonly string[] = ["/usr/bin/jupyter", "server"];

/** The server command of a (validated) config: explicit, else from the environment prefix, else Debian's. */
export function resolveServerCommand(config: Pick<LocalSpawnerConfig, "command" | "pythonEnvironment">): string[] {
  if (config.command) return config.command;
  if (config.pythonEnvironment) return [`${config.pythonEnvironment}/bin/jupyter`, "server"];
  return [...DEFAULT_SERVER_COMMAND];
}
