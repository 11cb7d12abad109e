// OS accounts the local spawner creates and runs servers as, on this host's real useradd: new
// homes are private (one account's kernel cannot read another's files), and system accounts are
// refused at spawn time. Needs root (skipped otherwise); creates and removes gyrehomea/gyrehomeb.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { execa } from "execa";
import { createOsUser, HOME_MODE } from "./os-user";
import { LocalProcessSpawner } from "./index";
import { localSpawnerConfigSchema } from "./config";
import { SpawnError } from "../types";
import { makeTestSpawnContext } from "../testing";

const isRoot = process.getuid?.() === 0;
const ACCOUNTS = ["gyrehomea", "gyrehomeb"];

/** Runs a shell command as `account` (its uid, gid and groups; umask 022 like a login shell on Debian). */
function runAs(account: string, script: string) {
  return execa("setpriv", ["--reuid", account, "--regid", account, "--init-groups", "--", "/bin/sh", "-c", `umask 022; ${script}`], {
    reject: false,
    env: { PATH: "/usr/bin:/bin" },
    extendEnv: false,
  });
}

async function removeAccounts(): Promise<void> {
  for (const a of ACCOUNTS) await execa("userdel", ["-r", a], { reject: false });
}

before(async () => {
  if (isRoot) await removeAccounts();
});
after(async () => {
  if (isRoot) await removeAccounts();
});

test("a new home is 0700 at once: another account cannot list it or read the 0644 files written in it", { skip: !isRoot && "needs root" }, async () => {
  const [a, b] = [await createOsUser(ACCOUNTS[0]), await createOsUser(ACCOUNTS[1])];
  for (const e of [a, b]) assert.equal((statSync(e.home).mode & 0o777).toString(8), HOME_MODE.toString(8), `${e.name}'s home`);
  // what Jupyter does: a notebook written with the default umask, so the file itself is 0644
  const write = await runAs(a.name, `echo secret-of-a > "${a.home}/analysis.ipynb"`);
  assert.equal(write.exitCode, 0, String(write.stderr));
  assert.equal((statSync(`${a.home}/analysis.ipynb`).mode & 0o777).toString(8), "644");
  const read = await runAs(b.name, `cat "${a.home}/analysis.ipynb"`);
  assert.notEqual(read.exitCode, 0, "B read A's notebook");
  assert.match(String(read.stderr), /Permission denied/);
  assert.doesNotMatch(String(read.stdout), /secret-of-a/);
  const list = await runAs(b.name, `ls "${a.home}"`);
  assert.notEqual(list.exitCode, 0, "B listed A's home");
  const own = await runAs(a.name, `cat "${a.home}/analysis.ipynb"`);
  assert.equal(String(own.stdout).trim(), "secret-of-a", "the owner still reads their own files");
});

test("a server is never started as a system account: the refusal names spawner.local.minimumUid", { skip: !isRoot && "needs root" }, async () => {
  const config = { ...localSpawnerConfigSchema.parse({ createOsUsers: false }), logDir: "/tmp" };
  for (const [osUser, cfg] of [
    ["daemon", config], // uid 1 on Debian, below UID_MIN (1000) from /etc/login.defs
    [ACCOUNTS[0], { ...config, minimumUid: 60_000 }], // an ordinary account below a configured minimum
  ] as const) {
    const ctx = makeTestSpawnContext({ userName: "mallory", user: { name: "mallory", osUser, admin: false, groups: [] } });
    const sp = new LocalProcessSpawner(ctx, cfg);
    await assert.rejects(
      sp.start(),
      (e: unknown) => e instanceof SpawnError && /system account/.test(e.message) && /spawner\.local\.minimumUid/.test(e.message),
      osUser,
    );
  }
});
