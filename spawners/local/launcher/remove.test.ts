// The launcher removes a runtime directory in its own process as the user (no fork per stop), and
// falls back to a forked `rm -rf` as the user for a large tree or anything the walk could not
// remove. Counted here: forks and identity switches. The switch itself (as root, a real account,
// a planted symlink) is in launcher.int.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asEffectiveUser, removeAsUser, removeTree, type IdentityCalls, type RemoveDeps, type RemoveTarget } from "./remove";

function counting(canSwitch = true) {
  const counts = { forks: 0, switches: 0 };
  const deps: RemoveDeps = {
    canSwitch,
    forkRm(t: RemoveTarget, done) {
      counts.forks++;
      rmSync(t.dir, { recursive: true, force: true });
      done(0);
    },
    asUser(uid, gid, fn) {
      counts.switches++;
      assert.deepEqual([uid, gid], [1234, 1234]);
      return fn();
    },
  };
  return { counts, deps };
}

function runtimeDir(files: number): string {
  const dir = mkdtempSync(join(tmpdir(), "gyre-rt-removetest-"));
  mkdirSync(join(dir, "jupyter"));
  for (let i = 0; i < files; i++) writeFileSync(join(dir, i % 2 ? "jupyter" : "", `f${i}`), "x");
  return dir;
}

const remove = (dir: string, deps: RemoveDeps, max?: number) =>
  new Promise<number | null>((resolve) => removeAsUser({ dir, uid: 1234, gid: 1234 }, resolve, deps, max));

test("20 runtime dirs removed: 20 switches to the user, no fork", async () => {
  const { counts, deps } = counting();
  for (let i = 0; i < 20; i++) {
    const dir = runtimeDir(6);
    assert.equal(await remove(dir, deps), 0);
    assert.equal(existsSync(dir), false);
  }
  assert.deepEqual(counts, { forks: 0, switches: 20 });
});

test("a tree larger than the bound, or one the walk cannot remove, goes to rm as the user", async () => {
  const { counts, deps } = counting();
  const big = runtimeDir(50);
  assert.equal(await remove(big, deps, 20), 0);
  assert.equal(existsSync(big), false);
  assert.deepEqual(counts, { forks: 1, switches: 1 });

  // a directory the walk may not read (mode 0): rm is asked (as root here the walk could read it,
  // so the refusal is simulated by a walk that throws)
  const refused = runtimeDir(2);
  const throwing: RemoveDeps = {
    ...deps,
    asUser: () => {
      counts.switches++;
      throw Object.assign(new Error("EACCES"), { code: "EACCES" });
    },
  };
  assert.equal(await remove(refused, throwing), 0);
  assert.deepEqual(counts, { forks: 2, switches: 2 });
});

test("a launcher that cannot switch identity (not root) forks rm as before", async () => {
  const { counts, deps } = counting(false);
  const dir = runtimeDir(2);
  assert.equal(await remove(dir, deps), 0);
  assert.deepEqual(counts, { forks: 1, switches: 0 });
});

test("removeTree unlinks symlinks, never what they point to; a missing dir is removed already", () => {
  const outside = mkdtempSync(join(tmpdir(), "gyre-removetest-target-"));
  writeFileSync(join(outside, "keep"), "kept");
  try {
    const dir = runtimeDir(2);
    symlinkSync(outside, join(dir, "to-dir"));
    symlinkSync(join(outside, "keep"), join(dir, "jupyter", "to-file"));
    assert.equal(removeTree(dir, 100), true);
    assert.equal(existsSync(dir), false);
    assert.equal(readFileSync(join(outside, "keep"), "utf8"), "kept");

    // the runtime dir itself swapped for a link: the link goes, its target stays
    const link = join(tmpdir(), `gyre-rt-removetest-${process.pid}`);
    symlinkSync(outside, link);
    assert.equal(removeTree(link, 100), true);
    assert.equal(existsSync(link), false);
    assert.equal(readFileSync(join(outside, "keep"), "utf8"), "kept");

    assert.equal(removeTree(join(tmpdir(), "gyre-rt-removetest-never-made"), 100), true);
  } finally {
    chmodSync(outside, 0o700);
    rmSync(outside, { recursive: true, force: true });
  }
});

/** A process identity the switch works on instead of the real one: records each call and the identity the walk ran as. */
function fakeIdentity() {
  const state = { euid: 0, egid: 0, groups: [0, 4, 27] };
  const calls: string[] = [];
  const ids: IdentityCalls = {
    getgroups: () => [...state.groups],
    setgroups: (g) => void (calls.push("setgroups"), (state.groups = [...g])),
    getegid: () => state.egid,
    setegid: (g) => {
      // as the kernel: changing the gid needs root's effective uid
      if (state.euid !== 0) throw new Error("EPERM");
      calls.push("setegid");
      state.egid = g;
    },
    seteuid: (u) => void (calls.push("seteuid"), (state.euid = u)),
  };
  return { state, calls, ids };
}

test("identity switches of 20 removals: the supplementary groups dropped once, then 4 calls each (each is a signal to every thread)", () => {
  const { state, calls, ids } = fakeIdentity();
  const during: string[] = [];
  for (let i = 0; i < 20; i++) {
    const uid = 2000 + i;
    assert.equal(
      asEffectiveUser(uid, uid + 1, () => (during.push(`${state.euid}/${state.egid}/${state.groups.join(",")}`), "done"), ids),
      "done",
    );
    // root's again between requests (the groups stay dropped: nothing of a root launcher needs them)
    assert.deepEqual(state, { euid: 0, egid: 0, groups: [] });
  }
  assert.deepEqual(
    during,
    Array.from({ length: 20 }, (_, i) => `${2000 + i}/${2001 + i}/`),
    "the walk ran as the user, with no supplementary groups",
  );
  // it was setgroups([]) + setegid + seteuid + seteuid(0) + setegid(0) + setgroups(root's) per removal: 120
  assert.equal(calls.length, 1 + 20 * 4);
  assert.deepEqual(calls.slice(0, 5), ["setgroups", "setegid", "seteuid", "seteuid", "setegid"]);
  assert.equal(calls.filter((c) => c === "setgroups").length, 1);
});

test("a walk that throws still switches back to root's identity", () => {
  const { state, ids } = fakeIdentity();
  assert.throws(
    () =>
      asEffectiveUser(
        3000,
        3000,
        () => {
          throw new Error("EACCES");
        },
        ids,
      ),
    /EACCES/,
  );
  assert.deepEqual(state, { euid: 0, egid: 0, groups: [] });
});
