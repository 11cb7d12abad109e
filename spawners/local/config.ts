// Configuration of the local process spawner: the `spawner.local:` section of gyre.config.yaml.
import { z } from "zod";

export const localSpawnerConfigSchema = z
  .object({
    command: z
      .array(z.string().min(1))
      .min(1)
      .default(["/usr/bin/jupyter", "server"])
      .describe('The server command as an argument list, e.g. ["/usr/bin/jupyter","server"] (classic UI via python3-nbclassic) or ["/usr/bin/jupyter","notebook"]. Gyre appends ip, port, base_url and the other hub settings.'),
    args: z.array(z.string()).default([]).describe("Extra arguments appended after Gyre's own."),
    notebookDir: z.string().default("{home}").describe("Notebook directory per user. {home} is the OS user's home, {username} the hub user name."),
    osUserTemplate: z
      .string()
      .default("{username}")
      .describe("OS account a hub user's server runs as when the hub runs as root. {username} is replaced by the hub user name. Ignored when the hub is not root (servers then run as the hub's own user)."),
    createOsUsers: z.boolean().default(false).describe("When root and the OS account is missing, create it with useradd (-m). Off by default: on a shared system accounts usually come from LDAP."),
    env: z.record(z.string(), z.string()).default({}).describe("Extra environment variables for every server (the environment is otherwise an allow-list)."),
    envPassthrough: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default(["LANG", "LC_ALL", "TZ"]).describe("Variables copied from the hub's environment into the server's."),
    defaultUrl: z.string().default("/tree").describe("Page a server opens on (its default_url)."),
    stopGraceSeconds: z.number().positive().default(5).describe("After SIGTERM, how long to wait before SIGKILL."),
    logDir: z.string().default("{dataDir}/logs").describe("Where each server's stdout/stderr log is written ({dataDir} = hub.dataDir)."),
  })
  .strict();

export type LocalSpawnerConfig = z.infer<typeof localSpawnerConfigSchema>;
