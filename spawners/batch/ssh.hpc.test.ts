// The SSH submit prefix for real: a "login node" sshd on 127.0.0.1:7022 (scripts/setup-ssh.sh;
// npm run test:hpc runs it) with the hub's key authorised for hpctest, in front of the real
// single-host Slurm of scripts/setup-slurm.sh. Every command the spawner runs as the user (secret
// file, sbatch, scancel) and the poller's squeue go through ssh; the hub process runs none of them.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { SpawnError, type SpawnContext, type SpawnLogger } from "../types";
import { HttpCallbackReceiver } from "./callback";
import { batchSpawnerConfigSchema } from "./config";
import { DIALECTS } from "./dialects/index";
import { BatchPoller } from "./poller";
import { runCommand, type CommandRunner } from "./run-command";
import { prefixCommand, UnsafeValueError } from "./shell-quote";
import { BatchSpawner } from "./spawner";

const TEST_USER = process.env.TEST_USER ?? "hpctest";
const SSH_DIR = process.env.GYRE_SSH_DIR ?? "/var/lib/gyre-ssh";
const SSH_PORT = process.env.GYRE_SSH_PORT ?? "7022";
const SSHD_LOG = `${SSH_DIR}/sshd.log`;

/** The prefix an admin would configure; strict host key checking against the file setup wrote. */
function sshTo(destination: string): string[] {
  return [
    "ssh", "-p", SSH_PORT, "-i", `${SSH_DIR}/hub_ed25519`,
    "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
    "-o", `UserKnownHostsFile=${SSH_DIR}/known_hosts`, "-o", "ConnectTimeout=10",
    destination, "--",
  ]; // prettier-ignore
}

const logLines: string[] = [];
const log: SpawnLogger = {
  info: (o, m) => void logLines.push(JSON.stringify([o, m])),
  warn: (o, m) => void logLines.push(JSON.stringify([o, m])),
  error: (o, m) => void logLines.push(JSON.stringify([o, m])),
  debug: () => undefined,
};

const config = batchSpawnerConfigSchema.parse({
  scheduler: "slurm",
  submitPrefix: sshTo("{osUser}@127.0.0.1"),
  // the one squeue per poll too: its "-o %i|%T|…" format is what breaks unquoted over ssh
  queryPrefix: sshTo(`${TEST_USER}@127.0.0.1`),
  portRange: "7050-7089",
  pollIntervalSeconds: 1,
  startingTimeoutSeconds: 120,
  queuedTimeoutSeconds: 120,
  stopTimeoutSeconds: 30,
  profiles: [{ name: "small", display: "1 core, 10 min", walltimeSeconds: 600 }],
  bounds: { queues: ["debug"], walltimeSeconds: { min: 600, max: 3600 } },
});

function makeCtx(options: Record<string, unknown> = {}, user = TEST_USER): SpawnContext {
  return {
    user: { name: user, osUser: user, admin: false, groups: [] },
    serverName: "",
    baseUrl: `/user/${user}/`,
    spawnId: `s${randomBytes(6).toString("hex")}`,
    token: randomBytes(24).toString("hex"),
    apiToken: randomBytes(24).toString("base64url"),
    hubUrl: "http://127.0.0.1:1",
    options: options as SpawnContext["options"],
    env: {},
    log,
  };
}

/** Runs real commands and records every argv and stdin (to show what reached the system). */
function recordingRunner(): { run: CommandRunner; calls: { argv: string[]; input: string }[] } {
  const calls: { argv: string[]; input: string }[] = [];
  return { calls, run: (argv, o) => (calls.push({ argv, input: o?.input ?? "" }), runCommand(argv, o)) };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sshdLogSince = (offset: number) => readFileSync(SSHD_LOG).subarray(offset).toString("utf8");
const squeue = async (jobId: string) => (await execa("squeue", ["-h", "-j", jobId, "-o", "%i %T %u"], { reject: false })).stdout.trim();

describe(`Slurm through an SSH submit prefix (real sshd on 127.0.0.1:${SSH_PORT}, real sbatch, user ${TEST_USER})`, () => {
  let receiver: HttpCallbackReceiver;
  let poller: BatchPoller;
  const live: BatchSpawner[] = [];

  before(async () => {
    for (const f of ["hub_ed25519", "known_hosts", "sshd.pid"]) {
      assert.ok(existsSync(`${SSH_DIR}/${f}`), `${SSH_DIR}/${f} missing: run bash scripts/setup-ssh.sh`);
    }
    receiver = await new HttpCallbackReceiver().listen("127.0.0.1", 7096);
    poller = new BatchPoller(DIALECTS.slurm, runCommand, { intervalMs: 1000, queryPrefix: config.queryPrefix });
  });
  after(async () => {
    for (const sp of live) await sp.stop().catch(() => undefined);
    poller.close();
    await receiver.close();
  });

  test("start over ssh → callback → api/status 200 with the token; secret over ssh stdin, never argv/ps/logs; stop (scancel over ssh) → gone", async (t) => {
    const logOffset = statSync(SSHD_LOG).size;
    const { run, calls } = recordingRunner();
    const ctx = makeCtx();
    const sp = new BatchSpawner(ctx, config, { channel: receiver, run, poller });
    live.push(sp);
    const t0 = performance.now();
    const { url } = await sp.start();
    const tCallback = performance.now() - t0;
    const status = await waitFor("api/status 200", async () => {
      const r = await fetch(`${url}${ctx.baseUrl}api/status`, { headers: { Authorization: `token ${ctx.token}` } }).catch(() => null);
      return r?.status === 200 ? r : null;
    });
    assert.equal(status.status, 200);
    assert.equal((await fetch(`${url}${ctx.baseUrl}api/status`)).status, 403, "no token → 403");
    t.diagnostic(`submit over ssh→callback ${Math.round(tCallback)} ms, →api/status 200 ${Math.round(performance.now() - t0)} ms`);
    const jobId = sp.jobId!;

    // every user command went through ssh (only getent, a local lookup, did not), quoted per word
    const userCalls = calls.filter((c) => c.argv[0] !== "getent");
    assert.ok(userCalls.length >= 3, JSON.stringify(calls.map((c) => c.argv)));
    for (const c of userCalls) {
      assert.deepEqual(c.argv.slice(0, sshTo("").length - 2), sshTo("").slice(0, -2), `not through ssh: ${c.argv.join(" ")}`);
      assert.equal(c.argv[sshTo("").length - 2], `${TEST_USER}@127.0.0.1`);
      for (const w of c.argv.slice(sshTo("").length)) assert.match(w, /^'.*'$/s, `unquoted remote word ${w}`);
    }
    const submit = userCalls.find((c) => c.argv.includes("'sbatch'"));
    assert.ok(submit, "sbatch ran over ssh");
    // the job belongs to the user ssh logged in as
    assert.match(await squeue(jobId), new RegExp(`^${jobId} RUNNING ${TEST_USER}$`));

    // the secrets travelled on ssh's stdin (dd on the login node), not in any argv
    const dd = userCalls.find((c) => c.argv.includes("'dd'"));
    assert.ok(dd && dd.input.includes(`JUPYTER_TOKEN=${ctx.token}`), "token written through dd's stdin");
    assert.ok(!calls.some((c) => c.argv.some((a) => a.includes(ctx.token))), "token in an argv we ran");
    assert.ok(!submit.input.includes(ctx.token), "token in the job script");
    const ps = await execa("ps", ["-eo", "args"]);
    assert.ok(!ps.stdout.includes(ctx.token), "token visible in ps");
    const sched = await execa("scontrol", ["show", "job", "-d", jobId], { reject: false });
    assert.ok(!sched.stdout.includes(ctx.token), "token visible in scontrol show job");
    assert.ok(!logLines.some((l) => l.includes(ctx.token)), "token in the hub's log");
    const sshdLog = sshdLogSince(logOffset);
    assert.ok(!sshdLog.includes(ctx.token), "token in sshd's log");
    const logins = sshdLog.match(new RegExp(`Accepted publickey for ${TEST_USER} from 127\\.0\\.0\\.1`, "g"))?.length ?? 0;
    t.diagnostic(`sshd key logins for ${TEST_USER} during start: ${logins}; commands run through ssh: ${userCalls.length}`);
    assert.ok(logins >= userCalls.length, `sshd saw ${logins} logins for ${userCalls.length} commands`);
    await waitFor(
      "secret file removed",
      async () => (await execa("test", ["-e", `/home/${TEST_USER}/.gyre/${ctx.spawnId}.secret`], { reject: false })).exitCode !== 0,
      10_000,
    );

    const before = calls.length;
    await sp.stop();
    const cancel = calls.slice(before).find((c) => c.argv.includes("'scancel'"));
    assert.ok(cancel && cancel.argv[0] === "ssh" && cancel.argv.at(-1) === `'${jobId}'`, "scancel ran over ssh");
    assert.equal(await squeue(jobId), "", "job gone from Slurm after stop()");
  });

  test("hostile values on the ssh path: rejected before any command, or one quoted word to the remote shell", async (t) => {
    const canary = `/tmp/gyre-ssh-canary-${randomBytes(4).toString("hex")}`;
    const attacks = [
      `x'; touch ${canary}; echo '`,
      `$(touch ${canary})`,
      `\`touch ${canary}\``,
      `a;touch ${canary}`,
      `a && touch ${canary}`,
      `a | touch ${canary}`,
      `a b  c`,
      `"dq" \\ * ~ # %i|%T`,
    ];

    // 1. spawn options and OS account names: refused by validation, nothing reaches ssh
    for (const v of [...attacks, "debug\n#SBATCH --uid=0", "--partition=x"]) {
      for (const options of [{ queue: v }, { profile: v }, { walltimeSeconds: v }, { account: v }, { prologue: v }]) {
        const { run, calls } = recordingRunner();
        const sp = new BatchSpawner(makeCtx(options), config, { channel: receiver, run, poller });
        await assert.rejects(sp.start(), SpawnError, JSON.stringify(options));
        assert.deepEqual(calls, [], `no command ran for ${JSON.stringify(options)}`);
      }
    }
    for (const osUser of ["root", `-oProxyCommand=touch ${canary}`, "-p22", "a b", "x;id", "$(id)", `${TEST_USER}@evil`, "a\nb"]) {
      const { run, calls } = recordingRunner();
      const sp = new BatchSpawner(makeCtx({}, osUser), config, { channel: receiver, run, poller });
      await assert.rejects(sp.start(), SpawnError, JSON.stringify(osUser));
      assert.deepEqual(calls, [], `no command ran for osUser ${JSON.stringify(osUser)}`);
    }

    // 2. words that do reach ssh arrive as ONE word each: printf prints them back unchanged
    const prefix = sshTo(`${TEST_USER}@127.0.0.1`);
    const r = await runCommand(prefixCommand(prefix, ["printf", "[%s]\\n", ...attacks]), { timeoutMs: 15_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, attacks.map((a) => `[${a}]\n`).join(""));
    // why the quoting is needed: the same ssh without it lets the remote shell expand $(…)
    const raw = await runCommand([...prefix, "echo", "$(id -un)"], { timeoutMs: 15_000 });
    assert.equal(raw.stdout, `${TEST_USER}\n`, "unquoted, ssh's remote shell runs $(…)");
    t.diagnostic(`unquoted "$(id -un)" over ssh printed ${JSON.stringify(raw.stdout)}; quoted, every word came back verbatim`);

    // 3. newlines and control characters cannot be quoted for every login shell: refused, not sent
    for (const w of ["a\nb", "a\rb", "a\x00b", "x\n touch " + canary]) {
      assert.throws(() => prefixCommand(prefix, ["printf", "%s", w]), UnsafeValueError);
    }
    assert.ok(!existsSync(canary), `${canary} was created: a value ran as a command`);
  });
});
