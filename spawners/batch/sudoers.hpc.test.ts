// The sudoers rule docs/hpc.md prints (renderSudoersRule) is enough, and checked by real sudo: a
// hub account that is not root (gyre-hubtest, created here) gets exactly that rule in
// /etc/sudoers.d, and a whole start → running server → stop on the real Slurm and Grid Engine
// runs every command as the user through it. Nothing is allowed beyond the rule: a command it does
// not list is refused by sudo.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import type { SpawnContext, SpawnLogger } from "../types";
import { HttpCallbackReceiver } from "./callback";
import { batchSpawnerConfigSchema } from "./config";
import { DIALECTS } from "./dialects/index";
import { BatchPoller } from "./poller";
import { runCommand, type CommandResult, type CommandRunner } from "./run-command";
import { BatchSpawner } from "./spawner";
import { renderSudoersRule } from "./user-commands";

const TEST_USER = process.env.TEST_USER ?? "hpctest";
const HUB_ACCOUNT = "gyre-hubtest";
const RULE_FILE = `/etc/sudoers.d/${HUB_ACCOUNT}`;
const log: SpawnLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

/** Runs every command as the hub account (root → runuser), recording what sudo said. */
function asHubAccount(results: { argv: string[]; r: CommandResult }[]): CommandRunner {
  return async (argv, opts) => {
    const r = await runCommand(["runuser", "-u", HUB_ACCOUNT, "--", ...argv], opts);
    results.push({ argv, r });
    return r;
  };
}

describe(`the documented sudoers rule, with real sudo, for a hub running as ${HUB_ACCOUNT} (real sbatch and qsub, user ${TEST_USER})`, () => {
  let receiver: HttpCallbackReceiver;
  before(async () => {
    if ((await execa("id", ["-u", HUB_ACCOUNT], { reject: false })).exitCode !== 0)
      await execa("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", HUB_ACCOUNT]);
    writeFileSync(RULE_FILE, renderSudoersRule(HUB_ACCOUNT, ["slurm", "sge"]), { mode: 0o440 });
    const check = await execa("visudo", ["-cf", RULE_FILE], { reject: false });
    assert.equal(check.exitCode, 0, `visudo: ${check.stdout} ${check.stderr}`);
    receiver = await new HttpCallbackReceiver().listen("127.0.0.1", 7094);
  });
  after(async () => {
    rmSync(RULE_FILE, { force: true });
    await receiver?.close();
  });

  for (const scheduler of ["slurm", "sge"] as const) {
    test(`${scheduler}: start, running server, stop — every command as the user allowed by the rule`, async () => {
      const results: { argv: string[]; r: CommandResult }[] = [];
      const run = asHubAccount(results);
      const poller = new BatchPoller(DIALECTS[scheduler], run, { intervalMs: 1000 });
      const config = batchSpawnerConfigSchema.parse({
        scheduler,
        portRange: "7050-7089",
        pollIntervalSeconds: 1,
        startingTimeoutSeconds: 120,
        queuedTimeoutSeconds: 120,
        stopTimeoutSeconds: 40,
        profiles: [{ name: "small", display: "small", walltimeSeconds: 600 }],
      });
      const ctx: SpawnContext = {
        user: { name: TEST_USER, osUser: TEST_USER, admin: false, groups: [] },
        serverName: "",
        baseUrl: `/user/${TEST_USER}/`,
        spawnId: `t${randomBytes(6).toString("hex")}`,
        token: randomBytes(24).toString("hex"),
        apiToken: randomBytes(24).toString("base64url"),
        hubUrl: "http://127.0.0.1:1",
        options: {},
        env: {},
        log,
      };
      const sp = new BatchSpawner(ctx, config, { channel: receiver, run, poller });
      try {
        const { url } = await sp.start();
        const status = await fetch(`${url}${ctx.baseUrl}api/status`, { headers: { Authorization: `token ${ctx.token}` } });
        assert.equal(status.status, 200);
        await sp.logTail(5); // the error page's read of the job log
      } finally {
        await sp.stop();
        poller.close();
      }
      const viaSudo = results.filter((x) => x.argv[0] === "sudo");
      const ran = new Set(viaSudo.map((x) => x.argv[x.argv.indexOf("--") + 1]));
      for (const cmd of ["install", "dd", "find", "tail", scheduler === "slurm" ? "sbatch" : "qsub", scheduler === "slurm" ? "scancel" : "qdel", "rm"])
        assert.ok(ran.has(cmd), `${cmd} ran through sudo (ran: ${[...ran].join(", ")})`);
      const refused = viaSudo.filter((x) => /sudo: /.test(x.r.stderr));
      assert.deepEqual(
        refused.map((x) => `${x.argv.join(" ")} → ${x.r.stderr.trim()}`),
        [],
        "sudo refused none of them",
      );
    });
  }

  test("a command the rule does not list is refused by sudo", async () => {
    const r = await execa("runuser", ["-u", HUB_ACCOUNT, "--", "sudo", "-n", "-u", TEST_USER, "--", "id"], { reject: false });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /sudo: a password is required|not allowed/);
    const root = await execa("runuser", ["-u", HUB_ACCOUNT, "--", "sudo", "-n", "-u", "root", "--", "sbatch", "--parsable", "--export=ALL"], {
      reject: false,
      input: "",
    });
    assert.notEqual(root.exitCode, 0, "never as root");
    assert.match(root.stderr, /sudo: /);
  });
});
