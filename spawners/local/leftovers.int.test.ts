// A take-over of a local spawn whose pid was never saved kills the spawn's leftover processes,
// found by GYRE_SPAWN_ID in their environment (/proc/<pid>/environ). The marker is no secret and
// any process can carry it: only processes of the server's own OS account are killed, never
// another account's or root's with the same marker. Needs root (it runs processes as other accounts).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { LocalProcessSpawner } from "./index";
import { localSpawnerConfigSchema } from "./config";
import { makeTestSpawnContext } from "../testing";
import { testAccount } from "../testing/os-account";
import { readProcessTable, readProcStat, signal, waitFor } from "./processes";
import type { JsonObject } from "../types";

const SERVER_ACCOUNT = "gyreleft1";
const OTHER_ACCOUNT = "gyreleft2";
const started: number[] = [];

after(() => {
  for (const pid of started) signal(-pid, "SIGKILL");
});

/** A detached `sh` (its own group) running `script` as `ids`, with `env`; its pid and start time. */
async function runAs(ids: { uid: number; gid: number } | null, env: Record<string, string>, script: string): Promise<{ pid: number; startTime: number }> {
  const child = spawn("/bin/sh", ["-c", script], { ...(ids ?? {}), env: { ...process.env, ...env }, detached: true, stdio: "ignore" });
  child.unref();
  const pid = child.pid!;
  started.push(pid);
  const stat = await readProcStat(pid);
  assert.ok(stat, `process ${pid} runs`);
  return { pid, startTime: stat.startTime };
}

async function alive(p: { pid: number; startTime: number }): Promise<boolean> {
  const s = await readProcStat(p.pid);
  return !!s && s.startTime === p.startTime && s.state !== "Z";
}

/** Children of `pid` (the sleeps a shell started), from /proc. */
async function childrenOf(pid: number): Promise<{ pid: number; startTime: number }[]> {
  return (await readProcessTable()).filter((p) => p.ppid === pid).map((p) => ({ pid: p.pid, startTime: p.startTime }));
}

for (const stored of ["with the account stored", "with nothing stored (the account looked up)"]) {
  test(`take-over clean-up ${stored}: the server account's marked processes die, another account's and root's with the same GYRE_SPAWN_ID are left alone`, async () => {
    const server = testAccount(SERVER_ACCOUNT);
    const other = testAccount(OTHER_ACCOUNT);
    const ctx = makeTestSpawnContext({ userName: "leftover", user: { name: "leftover", osUser: SERVER_ACCOUNT, admin: false, groups: [] } });
    const marker = { GYRE_SPAWN_ID: ctx.spawnId };
    // the leftover server: a shell and its child (a kernel), both the account's
    const leftover = await runAs(server, marker, "sleep 600 & wait");
    assert.ok(await waitFor(async () => (await childrenOf(leftover.pid)).length === 1, 5000));
    const [kernel] = await childrenOf(leftover.pid);
    // the same marker in processes of another account and of root
    const others = [await runAs(other, marker, "sleep 600"), await runAs(null, marker, "sleep 600")];
    // the account's process of another spawn
    const unrelated = await runAs(server, { GYRE_SPAWN_ID: `${ctx.spawnId}x` }, "sleep 600");

    const sp = new LocalProcessSpawner(ctx, localSpawnerConfigSchema.parse({}));
    const state: JsonObject = stored.startsWith("with the account") ? { osUser: SERVER_ACCOUNT, uid: server.uid, gid: server.gid } : {};
    sp.loadState(state);
    assert.equal(sp.resume(), null, "no pid saved: nothing to follow");
    await sp.stop();

    assert.equal(await alive(leftover), false, "the leftover server process was killed");
    assert.equal(await alive(kernel), false, "and its child");
    for (const p of others) assert.equal(await alive(p), true, `pid ${p.pid} of another account kept running`);
    assert.equal(await alive(unrelated), true, "the account's process of another spawn kept running");
    for (const p of [...others, unrelated]) signal(-p.pid, "SIGKILL");
  });
}
