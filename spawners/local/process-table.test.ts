import { test } from "node:test";
import assert from "node:assert/strict";
import { leftoverTree, pidsOfProcListing, pidsWithEnv, ProcessTable } from "./process-table";
import { ProcessWatch, parseChildrenList, procfsReader, readSmallProcFile, type ProcReader } from "./process-watch";
import { parseProcStat } from "./proc-stat";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A /proc/<pid>/stat line as the kernel writes it (proc(5)); field 22 is the start time. */
function statLine(o: { pid: number; comm?: string; state?: string; ppid: number; pgrp?: number; startTime: number; utime?: number; cutime?: number }): string {
  // fields 14–17 are utime, stime, cutime, cstime
  const rest = [
    o.state ?? "S",
    o.ppid,
    o.pgrp ?? o.pid,
    o.pid,
    0,
    -1,
    4194560,
    99,
    0,
    0,
    0,
    o.utime ?? 0,
    0,
    o.cutime ?? 0,
    0,
    20,
    0,
    1,
    0,
    o.startTime,
    3133440,
    413,
  ];
  return `${o.pid} (${o.comm ?? "python3"}) ${rest.join(" ")} 18446744073709551615 0 0\n`;
}

const SERVER = 4100;
const machine = new Map<number, string>([
  [1, "1 (systemd) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 5 3133440 413 18446744073709551615 0 0\n"],
  [SERVER, statLine({ pid: SERVER, comm: "jupyter-lab", ppid: 1, startTime: 9000 })],
  // a kernel in its own session (own group), a grandchild of the server through a shell
  [4150, statLine({ pid: 4150, comm: "sh", ppid: SERVER, pgrp: SERVER, startTime: 9100 })],
  [4151, statLine({ pid: 4151, comm: "python3 -m ipykernel) x", ppid: 4150, pgrp: 4151, startTime: 9101 })],
  [4200, statLine({ pid: 4200, comm: "zombie", state: "Z", ppid: 1, startTime: 9500 })],
  [5000, statLine({ pid: 5000, ppid: 1, startTime: 10 })],
]);

test("a table from literal /proc stat texts: alive means same pid and start time, not a zombie", () => {
  const table = ProcessTable.fromStatTexts([...machine, [6000, null], [6001, "garbage"]], true);
  assert.deepEqual(
    table.all().map((p) => p.pid),
    [1, SERVER, 4150, 4151, 4200, 5000],
  );
  assert.equal(table.isAlive({ pid: SERVER, startTime: 9000 }), true);
  assert.equal(table.isAlive({ pid: SERVER, startTime: 8999 }), false, "a reused pid is another process");
  assert.equal(table.isAlive({ pid: 4200, startTime: 9500 }), false, "a zombie is gone");
  assert.equal(table.isAlive({ pid: 6000, startTime: 1 }), false, "not in the table");
  assert.equal(table.get(4151)?.pgrp, 4151);
  assert.deepEqual(
    table.descendants(SERVER).map((p) => p.pid),
    [4150, 4151],
  );
});

test("descendants are refused on a partial table (it may miss children)", () => {
  const partial = ProcessTable.fromStatTexts([[SERVER, machine.get(SERVER)!]], false);
  assert.throws(() => partial.descendants(SERVER), /complete/);
});

test("a stat text that names another pid than the file it came from is left out", () => {
  assert.equal(ProcessTable.fromStatTexts([[7, statLine({ pid: 8, ppid: 1, startTime: 1 })]], false).get(7), undefined);
});

test("/proc listing: only the numeric names are pids", () => {
  assert.deepEqual(pidsOfProcListing(["1", "self", "42", "sys", "thread-self", "4100", "1a"]), [1, 42, 4100]);
});

/** A fake /proc over a mutable map that counts what is read. */
function fakeProc(procs: Map<number, string>, statuses = new Map<number, string>()): ProcReader & { lists: number; statReads: number } {
  const r = {
    lists: 0,
    statReads: 0,
    listPids: () => {
      r.lists++;
      return [...procs.keys()];
    },
    readStat: (pid: number) => {
      r.statReads++;
      return procs.get(pid) ?? null;
    },
    readStatus: (pid: number) => (procs.has(pid) ? (statuses.get(pid) ?? null) : null),
  };
  return r;
}

test("descendantsOf: the tree from its children files and its members' stat files, not from every process", async () => {
  const procs = new Map(machine);
  for (let i = 0; i < 2000; i++) procs.set(50_000 + i, statLine({ pid: 50_000 + i, ppid: 1, startTime: 1 }));
  const reader = fakeProc(procs);
  const children = (pid: number) =>
    [...procs.entries()].filter(([, text]) => parseProcStat(text)?.ppid === pid && parseProcStat(text)?.pid !== pid).map(([p]) => p);
  const watch = new ProcessWatch({ cycleMs: 10, reader: { ...reader, readChildren: children } });
  const found = await watch.descendantsOf(SERVER);
  assert.deepEqual(
    found.map((d) => [d.pid, d.pgrp, d.startTime]),
    [
      [4150, SERVER, 9100],
      [4151, 4151, 9101],
    ],
  );
  assert.equal(watch.stats.fullReads + watch.stats.partialReads, 0, "no cycle of the watch");
  assert.equal(reader.lists, 0);
  assert.equal(watch.stats.childrenFilesRead, 3, "the server's, the shell's, the kernel's");
  assert.equal(reader.statReads, 2);
  // without children files: the next full read
  const plain = new ProcessWatch({ cycleMs: 10, reader });
  assert.deepEqual(
    (await plain.descendantsOf(SERVER)).map((d) => d.pid),
    [4150, 4151],
  );
  assert.equal(plain.stats.fullReads, 1);
});

test("parseChildrenList: the pids of a children file", () => {
  assert.deepEqual(parseChildrenList("4150 4151 \n"), [4150, 4151]);
  assert.deepEqual(parseChildrenList(""), []);
});

test("liveness checks in one turn of the event loop are one read of just those pids", async () => {
  const reader = fakeProc(new Map(machine));
  const watch = new ProcessWatch({ cycleMs: 20, reader });
  const answers = await Promise.all([
    watch.isAlive({ pid: SERVER, startTime: 9000 }),
    watch.isAlive({ pid: 4151, startTime: 9101 }),
    watch.isAlive({ pid: 4200, startTime: 9500 }),
    watch.isAlive({ pid: SERVER, startTime: 9000 }),
  ]);
  assert.deepEqual(answers, [true, true, false, true]);
  assert.deepEqual({ ...watch.stats }, { partialReads: 1, fullReads: 0, statFilesRead: 3, statusFilesRead: 0, childrenFilesRead: 0 });
  assert.equal(reader.lists, 0, "no listing of /proc for liveness");
});

test("a wait that times out reports false after at least one read, and reads start cycleMs apart", async () => {
  const reader = fakeProc(new Map(machine));
  const watch = new ProcessWatch({ cycleMs: 30, reader });
  const t0 = Date.now();
  assert.equal(await watch.waitUntilGone([{ pid: SERVER, startTime: 9000 }], 100), false);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 100, `${elapsed} ms`);
  // a loaded machine delays timers (fewer reads), never brings them closer: at least one read, and
  // no more than one per started 30 ms cycle of the time that passed
  const reads = watch.stats.partialReads;
  assert.ok(reads >= 1 && reads <= Math.floor(elapsed / 30) + 1, `${reads} reads in ${elapsed} ms`);
  assert.equal(await watch.waitUntilGone([{ pid: SERVER, startTime: 1 }], 0), true, "another start time: that process is gone");
});

test("a read that fails rejects every caller of that cycle, and the next cycle reads again", async () => {
  let fail = true;
  const watch = new ProcessWatch({
    cycleMs: 1,
    reader: {
      listPids: () => {
        if (fail) throw new Error("EMFILE");
        return [SERVER];
      },
      readStat: (pid) => machine.get(pid) ?? null,
      readStatus: () => null,
    },
  });
  const results = await Promise.allSettled([watch.snapshot(), watch.snapshot()]);
  assert.deepEqual(
    results.map((r) => r.status),
    ["rejected", "rejected"],
  );
  fail = false;
  assert.equal((await watch.snapshot()).isAlive({ pid: SERVER, startTime: 9000 }), true);
});

/** A /proc/<pid>/status excerpt as the kernel writes it (proc(5)). */
function statusText(rssKb: number, hwmKb: number): string {
  return `Name:\tpython3\nState:\tS (sleeping)\nVmPeak:\t  900000 kB\nVmHWM:\t${String(hwmKb).padStart(8)} kB\nVmRSS:\t${String(rssKb).padStart(8)} kB\nThreads:\t4\n`;
}

test("usage samples of 20 servers read only their own trees (children, stat and status files); without children files they share one full read", async () => {
  const procs = new Map(machine);
  const statuses = new Map<number, string>();
  const servers = Array.from({ length: 20 }, (_, i) => ({ pid: 10_000 + i, startTime: 20_000 + i }));
  for (const [i, s] of servers.entries()) {
    // the server (3 s of its own, 1 s of a kernel it reaped) and one live kernel burning 250 + i s
    procs.set(s.pid, statLine({ pid: s.pid, ppid: 1, startTime: s.startTime, utime: 300, cutime: 100 }));
    procs.set(s.pid + 5000, statLine({ pid: s.pid + 5000, ppid: s.pid, startTime: s.startTime + 1, utime: (250 + i) * 100 }));
    statuses.set(s.pid, statusText(100_000, 120_000));
    statuses.set(s.pid + 5000, statusText(400_000, 2_000_000));
  }
  for (let i = 0; i < 1000; i++) procs.set(50_000 + i, statLine({ pid: 50_000 + i, ppid: 1, startTime: 1, utime: 99_999 }));
  const reader = fakeProc(procs, statuses);
  const children = (pid: number) => (procs.has(pid + 5000) && pid < 15_000 ? [pid + 5000] : []);
  const walking = new ProcessWatch({ cycleMs: 20, reader: { ...reader, readChildren: children } });
  const plain = new ProcessWatch({ cycleMs: 20, reader });
  for (const watch of [walking, plain]) {
    const samples = await Promise.all(servers.map((s) => watch.treeUsage(s)));
    assert.equal(watch.stats.statusFilesRead, 40, "two status files per server tree, none of other processes");
    for (const [i, u] of samples.entries()) {
      assert.deepEqual(u, { cpuSeconds: 4 + 250 + i, rssBytes: 500_000 * 1024, largestProcessPeakBytes: 2_000_000 * 1024 });
    }
    assert.equal(await watch.treeUsage({ pid: servers[0].pid, startTime: 1 }), null, "a reused pid is not the server: no usage");
  }
  assert.equal(walking.stats.fullReads + walking.stats.partialReads, 0, "no read of every process");
  assert.equal(walking.stats.statFilesRead, 20 * 2 + 1);
  assert.equal(plain.stats.fullReads, 2, "one full read served all 20 samples (and one the reused pid)");
  assert.equal(reader.lists, 2);
});

test("pidsWithEnv: the processes of one spawn by their exact GYRE_SPAWN_ID entry", () => {
  const env = (...entries: string[]) => entries.join("\0") + "\0";
  const found = pidsWithEnv(
    [
      [10, env("PATH=/usr/bin", "GYRE_SPAWN_ID=sp-1", "HOME=/home/a")],
      // another spawn, one whose id starts the same, a value that only mentions it, unreadable
      [11, env("GYRE_SPAWN_ID=sp-2")],
      [12, env("GYRE_SPAWN_ID=sp-10")],
      [13, env("NOTE=GYRE_SPAWN_ID=sp-1x", "X=GYRE_SPAWN_ID=sp-1 ")],
      [14, null],
      // a kernel of the server inherits the marker: it is the spawn's too
      [15, env("GYRE_SPAWN_ID=sp-1")],
    ],
    "GYRE_SPAWN_ID",
    "sp-1",
  );
  assert.deepEqual(found, [10, 15]);
});

test("leftoverTree: the process, its descendants and the members of the groups they lead, each once", () => {
  const procs = new Map<number, string>([
    ...machine,
    // a child of the server that double-forked: reparented to init, still in the server's group
    [4160, statLine({ pid: 4160, ppid: 1, pgrp: SERVER, startTime: 9200 })],
    // a member of the kernel's group whose parent is gone
    [4170, statLine({ pid: 4170, ppid: 1, pgrp: 4151, startTime: 9300 })],
    // someone else's group and process
    [5001, statLine({ pid: 5001, ppid: 5000, pgrp: 5000, startTime: 11 })],
  ]);
  const table = ProcessTable.fromStatTexts(procs, true);
  assert.deepEqual(
    leftoverTree(table, SERVER).map((p) => p.pid),
    [SERVER, 4150, 4151, 4160, 4170],
  );
  assert.deepEqual(leftoverTree(table, 9999), [], "not in the table");
  // a process that leads no group: no group is signalled for it
  assert.deepEqual(
    leftoverTree(table, 4150).map((p) => p.pid),
    [4150, 4151, 4170],
  );
});

test("findByEnv: only processes running wholly as the account, whatever the others' environment says", async () => {
  const env = (...entries: string[]) => entries.join("\0") + "\0";
  const uidLine = (r: number, e = r, s = r, f = r) => `Name:\tx\nUid:\t${r}\t${e}\t${s}\t${f}\nGid:\t0\t0\t0\t0\n`;
  const procs = new Map<number, string>([
    [10, statLine({ pid: 10, ppid: 1, startTime: 100 })],
    [11, statLine({ pid: 11, ppid: 1, startTime: 101 })],
    [12, statLine({ pid: 12, ppid: 1, startTime: 102 })],
    [13, statLine({ pid: 13, ppid: 1, startTime: 103 })],
    [14, statLine({ pid: 14, ppid: 1, startTime: 104 })],
  ]);
  const environs = new Map<number, string>([
    [10, env("GYRE_SPAWN_ID=sp-1")], // the server's account: the spawn's
    [11, env("GYRE_SPAWN_ID=sp-1")], // another account with the same marker
    [12, env("GYRE_SPAWN_ID=sp-1")], // root
    [13, env("GYRE_SPAWN_ID=sp-1")], // the account running a set-user-ID root program
    [14, env("GYRE_SPAWN_ID=sp-2")], // the account, another spawn
  ]);
  const statuses = new Map<number, string>([
    [10, uidLine(1001)],
    [11, uidLine(1002)],
    [12, uidLine(0)],
    [13, uidLine(1001, 0, 0, 0)],
    [14, uidLine(1001)],
  ]);
  const reader = { ...fakeProc(procs, statuses), readEnviron: (pid: number) => environs.get(pid) ?? null };
  const watch = new ProcessWatch({ cycleMs: 0, reader });
  assert.deepEqual(await watch.findByEnv("GYRE_SPAWN_ID", "sp-1", 1001), [{ pid: 10, startTime: 100 }]);
  assert.deepEqual(await watch.findByEnv("GYRE_SPAWN_ID", "sp-1", 1002), [{ pid: 11, startTime: 101 }]);
  assert.deepEqual(watch.runningOnlyAs([10, 11, 12, 13, 14, 99], 1001), [10, 14]);
});

test("procfsReader reads /proc through one reused buffer: the same text as readFileSync, null for a gone pid, long files whole", () => {
  const read = parseProcStat(procfsReader.readStat(process.pid)!);
  const reference = parseProcStat(readFileSync(`/proc/${process.pid}/stat`, "latin1"));
  assert.deepEqual([read?.pid, read?.ppid, read?.pgrp, read?.startTime], [reference?.pid, reference?.ppid, reference?.pgrp, reference?.startTime]);
  const status = procfsReader.readStatus(process.pid)!;
  assert.match(status, new RegExp(`^Pid:\\s+${process.pid}$`, "m"));
  assert.equal(procfsReader.readStat(2 ** 22 + 1), null, "no such pid");
  const dir = mkdtempSync(join(tmpdir(), "gyre-proc-read-"));
  try {
    const long = "x".repeat(40_000) + "\nend\n";
    writeFileSync(join(dir, "long"), long);
    assert.equal(readSmallProcFile(join(dir, "long")), long);
    writeFileSync(join(dir, "short"), "a b c");
    assert.equal(readSmallProcFile(join(dir, "short")), "a b c");
    assert.equal(readSmallProcFile(join(dir, "short")), "a b c", "the reused buffer holds no earlier text");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
