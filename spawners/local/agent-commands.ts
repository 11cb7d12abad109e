// I/O: the local spawner's agent commands outside a server start (git-pull links): the agent runs
// as the user's OS account on the hub host, which is where local servers keep their files.
import { chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { SpawnError, type AgentCommandResult, type AgentCommandRunner } from "../types";
import { writeAgentZip } from "../agent/agent-bundle";
import { AgentProgressReader } from "../agent/agent-progress";
import { buildAgentLaunch, resolveAgentPython, toFileNamePart } from "./command";
import { resolveServerCommand, type LocalSpawnerConfig } from "./config";
import { resolveOsUser } from "./os-user";
import type { PasswdEntry } from "./passwd";
import { describeAgentExit, runAgentProcess } from "./agent-process";
import { processLauncher, type LauncherClient } from "./launcher/client";

const SETPRIV = "/usr/bin/setpriv";

export function localAgentCommands(config: LocalSpawnerConfig, deps: { hubUid?: number; launcher?: LauncherClient } = {}): AgentCommandRunner {
  const hubUid = deps.hubUid ?? process.getuid?.() ?? -1;
  const launcher = () => deps.launcher ?? processLauncher();
  return {
    async gitPull({ user, spec }): Promise<AgentCommandResult> {
      // the hub resolved the account (hub.osUserTemplate / hub.osUserMapFile); checked by resolveOsUser
      const account = await resolveAccount(config, hubUid, user.osUser);
      const switching = hubUid === 0 && account.uid !== 0;
      const owner = switching ? { uid: account.uid, gid: account.gid } : undefined;
      // a private folder of the account for the spec and the agent's zip, removed afterwards
      const dir = await mkdtemp(join(tmpdir(), `gyre-agent-${toFileNamePart(user.name)}-`));
      try {
        if (owner) await chown(dir, owner.uid, owner.gid);
        const agentZip = await writeAgentZip({ dir, owner });
        const specFile = join(dir, "git-pull-spec.json");
        await writeFile(specFile, JSON.stringify(spec), { mode: 0o600, flag: "wx" });
        if (owner) await chown(specFile, owner.uid, owner.gid);
        const prefix = config.pythonEnvironment;
        const launch = buildAgentLaunch({
          command: "git-pull",
          python: resolveAgentPython({ command: resolveServerCommand(config), pythonEnvironment: prefix ? { prefix } : undefined }),
          agentZip,
          specFile,
          switchUser: switching ? { uid: account.uid, gid: account.gid, setprivPath: SETPRIV } : null,
          account: { name: account.name, home: account.home, shell: account.shell },
          hubEnv: process.env,
          envPassthrough: config.envPassthrough,
          configEnv: config.env,
          pythonEnvironment: prefix ? { prefix, conda: false } : undefined,
        });
        const reader = new AgentProgressReader({ range: [0, 100] });
        const exit = await runAgentProcess({ launch, logFile: null, reader, onProgress: () => {}, timeoutMs: (spec.git.timeoutSeconds + 60) * 1000 });
        if (exit.code === 0 && reader.pulled)
          return { ok: true, message: reader.pulled.message, dir: reader.pulled.dir, commit: reader.pulled.commit, branch: reader.pulled.branch };
        if (reader.failure) return { ok: false, ...reader.failure };
        return { ok: false, reason: "agent-exit", message: `The git-pull agent ended without pulling (${describeAgentExit(exit)}).` };
      } finally {
        // the folder belongs to the user: remove it with the user's rights when switching (by the
        // launcher, not a fork of the hub); whatever is left, root removes below
        if (owner)
          await launcher()
            .remove({ dir, uid: owner.uid, gid: owner.gid })
            .catch(() => null);
        await rm(dir, { recursive: true, force: true }).catch(() => {});
      }
    },
  };
}

async function resolveAccount(config: LocalSpawnerConfig, hubUid: number, osUser: string): Promise<PasswdEntry> {
  if (hubUid !== 0) {
    const me = userInfo();
    return { name: me.username, uid: me.uid, gid: me.gid, home: me.homedir, shell: me.shell ?? "/bin/sh" };
  }
  const entry = await resolveOsUser(osUser, config.createOsUsers);
  if (entry.uid === 0) throw new SpawnError(`Refusing to run as root (OS account "${osUser}" has uid 0).`);
  return entry;
}
