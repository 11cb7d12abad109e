// The local spawner's stop against a fake /proc, a fake launcher and recorded signals: what it
// reads of /proc (counted, not timed) and which signals go where, for one server and for 100
// stopping at once. The real processes are local.int.test.ts's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalProcessSpawner } from "./index";
import { localSpawnerConfigSchema, type LocalSpawnerConfig } from "./config";
import { ProcessWatch, type ProcReader } from "./process-watch";
import type { LauncherClient, ExitListener } from "./launcher/client";
import type { SpawnRequest } from "./launcher/protocol";
import { makeTestSpawnContext } from "../testing";

/** A process of the fake machine. */
interface FakeProc {
  pid: number;
  ppid: number;
  pgrp: number;
  startTime: number;
  /** what SIGTERM does: "exit" (the default) or "ignore" */
  onTerm?: "exit" | "ignore";
  /** CPU time used (user time, clock ticks) and resident memory (kB): the status file has them only when set */
  ticks?: number;
  rssKb?: number;
}

function statText(p: FakeProc, state: string): string {
  return `${p.pid} (python3) ${state} ${p.ppid} ${p.pgrp} ${p.pgrp} 0 -1 4194560 99 0 0 0 ${p.ticks ?? 0} 0 0 0 20 0 1 0 ${p.startTime} 3133440 413 18446744073709551615 0 0\n`;
}

/**
 * A machine of fake processes: /proc as the watch reads it (counting each kind of read), and
 * signals as the kernel would apply them to those processes (a stopped process takes SIGTERM
 * only once continued). `exited` is called with each process that ends.
 */
function fakeMachine(o: { childrenFiles?: boolean } = {}) {
  const procs = new Map<number, FakeProc>();
  const stopped = new Set<number>();
  const pendingTerm = new Set<number>();
  const signals: string[] = [];
  const reads = { lists: 0, stats: 0, children: 0, status: 0 };
  const exited: Array<(p: FakeProc) => void> = [];
  const end = (p: FakeProc) => {
    procs.delete(p.pid);
    for (const c of procs.values()) if (c.ppid === p.pid) c.ppid = 1;
    for (const f of exited) f(p);
  };
  const deliver = (p: FakeProc, sig: NodeJS.Signals) => {
    if (sig === "SIGKILL") return end(p);
    if (sig === "SIGSTOP") return void stopped.add(p.pid);
    if (sig === "SIGCONT") {
      stopped.delete(p.pid);
      if (pendingTerm.delete(p.pid) && p.onTerm !== "ignore") end(p);
      return;
    }
    if (sig === "SIGTERM") {
      if (stopped.has(p.pid)) pendingTerm.add(p.pid);
      else if (p.onTerm !== "ignore") end(p);
    }
  };
  const reader: ProcReader = {
    listPids: () => {
      reads.lists++;
      return [1, ...procs.keys()];
    },
    readStat: (pid) => {
      reads.stats++;
      if (pid === 1) return statText({ pid: 1, ppid: 0, pgrp: 1, startTime: 5 }, "S");
      const p = procs.get(pid);
      return p ? statText(p, stopped.has(pid) ? "T" : "S") : null;
    },
    readStatus: (pid) => {
      reads.status++;
      const p = procs.get(pid);
      return p?.rssKb === undefined ? null : `Name:\tpython3\nVmHWM:\t${2 * p.rssKb} kB\nVmRSS:\t${p.rssKb} kB\n`;
    },
    ...(o.childrenFiles === false
      ? {}
      : {
          readChildren: (pid: number) => {
            reads.children++;
            return [...procs.values()].filter((p) => p.ppid === pid).map((p) => p.pid);
          },
        }),
  };
  const signal = (pid: number, sig: NodeJS.Signals) => {
    signals.push(`${sig} ${pid}`);
    const targets = pid < 0 ? [...procs.values()].filter((p) => p.pgrp === -pid) : [procs.get(pid)].filter((p) => p !== undefined);
    for (const p of targets) deliver(p, sig);
  };
  const add = (p: FakeProc) => procs.set(p.pid, p);
  return { procs, reader, signal, signals, reads, add, exited };
}

const logDir = mkdtempSync(join(tmpdir(), "gyre-stop-test-"));
test.after(() => rmSync(logDir, { recursive: true, force: true }));
const config: LocalSpawnerConfig = { ...localSpawnerConfigSchema.parse({ stopGraceSeconds: 0.2 }), logDir, command: ["/bin/true"] };

/** A spawner that adopted a running server (a hub restart): state only, no exit report will come. */
function adopted(m: ReturnType<typeof fakeMachine>, watch: ProcessWatch, server: FakeProc, i = 0): LocalProcessSpawner {
  const sp = new LocalProcessSpawner(makeTestSpawnContext({ userName: `u${i}` }), config, { hubUid: 1000, watch, signal: m.signal });
  sp.loadState({ pid: server.pid, startTime: server.startTime });
  return sp;
}

test("100 servers stopping at once: one read of /proc per cycle for all of them, none of every process unless kernels outlive their server", async () => {
  const m = fakeMachine();
  const watch = new ProcessWatch({ cycleMs: 5, reader: m.reader });
  for (let i = 0; i < 2000; i++) m.add({ pid: 50_000 + i, ppid: 1, pgrp: 50_000 + i, startTime: 1 });
  const servers: FakeProc[] = [];
  for (let i = 0; i < 100; i++) {
    const server = { pid: 10_000 + i, ppid: 1, pgrp: 10_000 + i, startTime: 20_000 + i };
    servers.push(server);
    m.add(server);
    // half of them have a kernel in its own session that stays when its server goes
    if (i % 2) m.add({ pid: 30_000 + i, ppid: server.pid, pgrp: 30_000 + i, startTime: 20_100 + i, onTerm: "ignore" });
  }
  const spawners = servers.map((s, i) => adopted(m, watch, s, i));
  await Promise.all(spawners.map((sp) => sp.stop()));

  assert.deepEqual(
    [...m.procs.keys()].filter((pid) => pid < 50_000),
    [],
    "every server and kernel is gone",
  );
  // cycles: the servers' stat files; their end; the kernels' stat files; then, because kernels
  // outlived their servers, one read of every process (for what they started since) and their end
  assert.equal(watch.stats.fullReads, 1);
  assert.equal(m.reads.lists, 1);
  assert.equal(watch.stats.partialReads, 4);
  // per server one children file (a kernel's own children: 50 more), never the 2,000 others' stat files per server
  assert.equal(watch.stats.childrenFilesRead, 150);
  assert.ok(watch.stats.statFilesRead <= 2150 + 100 + 100 + 50 + 50 + 50, `${watch.stats.statFilesRead} stat files`);
  const s = servers[1];
  assert.deepEqual(
    m.signals.filter((x) => x.endsWith(` -${s.pid}`) || x.endsWith(` -${30_001}`)),
    [`SIGSTOP -${s.pid}`, `SIGTERM -${s.pid}`, `SIGCONT -${s.pid}`, "SIGKILL -30001"],
  );
});

test("a kernel the server started just before the stop is found and ended: the lookup is made while the server is frozen", async () => {
  const m = fakeMachine();
  const watch = new ProcessWatch({ cycleMs: 5, reader: m.reader });
  const server = { pid: 4100, ppid: 1, pgrp: 4100, startTime: 9000 };
  m.add(server);
  const sp = adopted(m, watch, server);
  // a usage sample read every process; the kernel comes after it
  assert.ok(await sp.usage());
  m.add({ pid: 4300, ppid: server.pid, pgrp: 4300, startTime: 9900, onTerm: "ignore" });
  m.add({ pid: 4301, ppid: 4300, pgrp: 4300, startTime: 9901, onTerm: "ignore" });
  await sp.stop();
  assert.deepEqual([...m.procs.keys()], []);
  assert.ok(m.signals.includes("SIGKILL -4300"));
});

test("without children files (a kernel built without them) the descendants come from one read of every process", async () => {
  const m = fakeMachine({ childrenFiles: false });
  const watch = new ProcessWatch({ cycleMs: 5, reader: m.reader });
  const server = { pid: 4100, ppid: 1, pgrp: 4100, startTime: 9000 };
  m.add(server);
  m.add({ pid: 4300, ppid: server.pid, pgrp: 4300, startTime: 9900, onTerm: "ignore" });
  await adopted(m, watch, server).stop();
  assert.deepEqual([...m.procs.keys()], []);
  assert.equal(watch.stats.childrenFilesRead, 0);
  assert.ok(watch.stats.fullReads >= 1);
});

test("a server that ignores SIGTERM gets SIGKILL after stopGraceSeconds; a server whose group is not its own is signalled alone", async () => {
  const m = fakeMachine();
  const watch = new ProcessWatch({ cycleMs: 5, reader: m.reader });
  const stubborn = { pid: 4100, ppid: 1, pgrp: 4100, startTime: 9000, onTerm: "ignore" as const };
  const moved = { pid: 4200, ppid: 1, pgrp: 777, startTime: 9001 };
  m.add(stubborn);
  m.add(moved);
  await Promise.all([adopted(m, watch, stubborn).stop(), adopted(m, watch, moved, 1).stop()]);
  assert.deepEqual([...m.procs.keys()], []);
  assert.deepEqual(
    m.signals.filter((x) => x.endsWith(" -4100")),
    ["SIGSTOP -4100", "SIGTERM -4100", "SIGCONT -4100", "SIGKILL -4100"],
  );
  assert.deepEqual(
    m.signals.filter((x) => x.endsWith(" 4200")),
    ["SIGSTOP 4200", "SIGTERM 4200", "SIGCONT 4200"],
  );
});

test("a server the launcher started: its stop waits for the launcher's exit report, not for /proc", async () => {
  const m = fakeMachine();
  const watch = new ProcessWatch({ cycleMs: 5, reader: m.reader });
  const listeners = new Map<number, ExitListener>();
  const sockets: Server[] = [];
  m.exited.push((p) => listeners.get(p.pid)?.({ code: 0, signal: null }));
  // the fake launcher "starts" a process of the fake machine and answers for it on its socket
  const launcher = {
    spawn: async (r: Omit<SpawnRequest, "type" | "id">, onExit: ExitListener) => {
      const sock = r.args.find((a) => a.startsWith("--ServerApp.sock="))!.slice("--ServerApp.sock=".length);
      const http = createServer((_req, res) => res.end("{}"));
      await new Promise<void>((resolve) => http.listen(sock, resolve));
      sockets.push(http);
      const p = { pid: 4100, ppid: 1, pgrp: 4100, startTime: 9000 };
      m.add(p);
      listeners.set(p.pid, onExit);
      return { pid: p.pid, startTime: p.startTime };
    },
    remove: async () => 0,
  } as unknown as LauncherClient;
  const sp = new LocalProcessSpawner(makeTestSpawnContext({ userName: "u1" }), config, { hubUid: 1000, watch, signal: m.signal, launcher });
  try {
    await sp.start();
    const before = { ...watch.stats };
    await sp.stop();
    assert.deepEqual([...m.procs.keys()], []);
    assert.deepEqual(m.signals, ["SIGSTOP -4100", "SIGTERM -4100", "SIGCONT -4100"]);
    // the server's stat file once; its end came from the launcher
    assert.equal(watch.stats.partialReads - before.partialReads, 1);
    assert.equal(watch.stats.fullReads - before.fullReads, 0);
    assert.equal((await sp.poll())?.reason, "The server exited (status 0).");
  } finally {
    for (const s of sockets) s.close();
  }
});

test("a hub killed between a stop's SIGSTOP and SIGCONT: the hub that adopts the frozen server continues it (poll and resume), and nothing else", async () => {
  const m = fakeMachine();
  const watch = new ProcessWatch({ cycleMs: 5, reader: m.reader });
  const frozen = { pid: 4100, ppid: 1, pgrp: 4100, startTime: 9000 };
  const running = { pid: 4200, ppid: 1, pgrp: 4200, startTime: 9001 };
  const impostor = { pid: 4400, ppid: 1, pgrp: 4400, startTime: 9999 };
  for (const p of [frozen, running, impostor]) m.add(p);
  m.signal(-frozen.pid, "SIGSTOP");
  m.signal(-impostor.pid, "SIGSTOP");
  m.signals.length = 0;
  const sp = adopted(m, watch, frozen);
  assert.equal(await sp.poll(), null);
  assert.equal(await adopted(m, watch, running, 1).poll(), null);
  // the pid was reused by another process (another start time): not this server, left alone
  assert.equal((await adopted(m, watch, { ...impostor, startTime: 1234 }, 2).poll())?.reason, "The server process is no longer running.");
  assert.deepEqual(m.signals, ["SIGCONT -4100"]);
  assert.equal(m.reader.readStat(frozen.pid)?.split(" ")[2], "S");
  // once per adoption: later polls read nothing more for it
  assert.equal(await sp.poll(), null);
  assert.deepEqual(m.signals, ["SIGCONT -4100"]);

  // a restart while the server was starting: resume() continues it too, before waiting for it to answer
  const starting = { pid: 4500, ppid: 1, pgrp: 4500, startTime: 9002 };
  m.add(starting);
  m.signal(-starting.pid, "SIGSTOP");
  const http = createServer((_req, res) => res.end("{}"));
  const sock = join(logDir, "resume.sock");
  await new Promise<void>((resolve) => http.listen(sock, resolve));
  try {
    const sp2 = new LocalProcessSpawner(makeTestSpawnContext({ userName: "u5" }), config, { hubUid: 1000, watch, signal: m.signal });
    sp2.loadState({ pid: starting.pid, startTime: starting.startTime, url: `http+unix://${encodeURIComponent(sock)}` });
    const resumed = sp2.resume();
    assert.ok(resumed);
    await resumed;
    assert.ok(m.signals.includes("SIGCONT -4500"));
  } finally {
    http.close();
  }
});

test("a stop samples the server's tree as it stops it: the frozen tree's CPU and memory, with no walk of the tree of its own", async () => {
  const m = fakeMachine();
  const watch = new ProcessWatch({ cycleMs: 5, reader: m.reader });
  const tree = (base: number): FakeProc[] => [
    { pid: base, ppid: 1, pgrp: base, startTime: 9000, ticks: 250, rssKb: 40_000 },
    { pid: base + 1, ppid: base, pgrp: base + 1, startTime: 9001, ticks: 150, rssKb: 60_000, onTerm: "ignore" },
  ];
  // the way before: usage() just before stop() (two walks of the tree), then the stop's own
  const before = tree(4100);
  before.forEach((p) => m.add(p));
  const old = adopted(m, watch, before[0]);
  const s0 = { ...watch.stats };
  const sampled = await old.usage();
  await old.stop();
  const walkThenStop = { children: watch.stats.childrenFilesRead - s0.childrenFilesRead, stats: watch.stats.statFilesRead - s0.statFilesRead };

  const now = tree(4200);
  now.forEach((p) => m.add(p));
  const sp = adopted(m, watch, now[0], 1);
  const s1 = { ...watch.stats };
  await sp.stop();
  const atStop = sp.usageAtStop();
  assert.deepEqual([...m.procs.keys()], [], "server and kernel gone");
  // the same figures usage() gave just before: CPU of both (400 ticks), memory 40 + 60 MB resident, peak of one 120 MB
  // (final: nothing will be left to read once the tree is gone)
  assert.deepEqual(atStop, { ...sampled, final: true });
  assert.deepEqual(atStop, { cpuSeconds: 4, peakMemoryBytes: 120_000 * 1024, source: "proc", final: true });
  // one walk of the tree (a children file per member), its members' status files read once
  assert.equal(watch.stats.childrenFilesRead - s1.childrenFilesRead, 2);
  assert.equal(watch.stats.statusFilesRead - s1.statusFilesRead, 2);
  assert.deepEqual(walkThenStop.children, 4, "usage() then stop() walked the tree twice");
  assert.ok(watch.stats.statFilesRead - s1.statFilesRead < walkThenStop.stats, "fewer stat files than usage() then stop()");
  // a stop that found nothing running has no sample, as usage() would have none
  const gone = adopted(m, watch, { pid: 4300, ppid: 1, pgrp: 4300, startTime: 1 }, 2);
  await gone.stop();
  assert.equal(gone.usageAtStop(), null);
});
