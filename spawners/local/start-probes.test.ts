// The local spawner's wait for a starting server on a unix socket, against a fake /proc and a fake
// launcher whose server binds its socket late: the readiness probes it sends are counted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalProcessSpawner } from "./index";
import { localSpawnerConfigSchema, type LocalSpawnerConfig } from "./config";
import { ProcessWatch, type ProcReader } from "./process-watch";
import { probeHttp } from "./processes";
import type { LauncherClient } from "./launcher/client";
import type { SpawnRequest } from "./launcher/protocol";
import { makeTestSpawnContext } from "../testing";

const logDir = mkdtempSync(join(tmpdir(), "gyre-start-probes-test-"));
test.after(() => rmSync(logDir, { recursive: true, force: true }));
const config: LocalSpawnerConfig = { ...localSpawnerConfigSchema.parse({}), logDir, command: ["/bin/true"] };

/**
 * Removes the runtime dir start() made. These servers are made-up pids, so stop() (which signals
 * them for real) is not called, and stop() is what removes it.
 */
function removeRuntimeDir(sp: LocalProcessSpawner): void {
  const { runtimeDir } = sp.getState();
  if (typeof runtimeDir === "string") rmSync(runtimeDir, { recursive: true, force: true });
}

/** A process watch whose process table holds init and `server` (a running python3), read every 5 ms. */
function watchOneServer(server: { pid: number; startTime: number }): ProcessWatch {
  const reader: ProcReader = {
    listPids: () => [1, server.pid],
    readStat: (pid) =>
      pid === server.pid ? `${pid} (python3) S 1 ${pid} ${pid} 0 -1 4194560 99 0 0 0 0 0 0 0 20 0 1 0 ${server.startTime} 3133440 413 0 0 0\n` : null,
    readStatus: () => null,
  };
  return new ProcessWatch({ cycleMs: 5, reader });
}

test("a server that binds its unix socket late is probed once it exists, not while the socket file is missing", async () => {
  const server = { pid: 4200, startTime: 9100 };
  const watch = watchOneServer(server);
  const sockets: Server[] = [];
  let bound = false;
  // the fake launcher's server listens only after 400 ms (a Jupyter server takes seconds)
  const launcher = {
    spawn: async (r: Omit<SpawnRequest, "type" | "id">) => {
      const sock = r.args.find((a) => a.startsWith("--ServerApp.sock="))!.slice("--ServerApp.sock=".length);
      setTimeout(() => {
        const http = createServer((_req, res) => res.end("{}"));
        http.listen(sock, () => (bound = true));
        sockets.push(http);
      }, 400);
      return server;
    },
    remove: async () => 0,
  } as unknown as LauncherClient;
  const probes: boolean[] = [];
  const probe: typeof probeHttp = (...args) => {
    probes.push(bound);
    return probeHttp(...args);
  };
  const sp = new LocalProcessSpawner(makeTestSpawnContext({ userName: "u1" }), config, { hubUid: 1000, watch, launcher, probe });
  try {
    const started = await sp.start();
    assert.equal(started.ready, true);
    // without the socket check: one probe per wait (50, 75, 112, 168 ms…), four or five before it listened
    assert.deepEqual(probes, [true]);
  } finally {
    for (const s of sockets) s.close();
    removeRuntimeDir(sp);
  }
});

test("the socket's creation ends the wait for it: the server is probed without waiting for the next back-off step", { timeout: 10_000 }, async () => {
  const server = { pid: 4201, startTime: 9101 };
  const watch = watchOneServer(server);
  const sockets: Server[] = [];
  let sleeps = 0;
  const launcher = {
    spawn: async (r: Omit<SpawnRequest, "type" | "id">) => {
      const sock = r.args.find((a) => a.startsWith("--ServerApp.sock="))!.slice("--ServerApp.sock=".length);
      // binds once the spawner waits for the first time
      const bind = setInterval(() => {
        if (!sleeps) return;
        clearInterval(bind);
        const http = createServer((_req, res) => res.end("{}"));
        http.listen(sock);
        sockets.push(http);
      }, 5);
      return server;
    },
    remove: async () => 0,
  } as unknown as LauncherClient;
  let probes = 0;
  const probe: typeof probeHttp = (...args) => {
    probes++;
    return probeHttp(...args);
  };
  // the back-off's waits never end: only the socket's appearance can end one
  const sleep = () => {
    sleeps++;
    return new Promise<void>(() => {});
  };
  const sp = new LocalProcessSpawner(makeTestSpawnContext({ userName: "u2" }), config, { hubUid: 1000, watch, launcher, probe, sleep });
  try {
    const started = await sp.start();
    assert.equal(started.ready, true);
    assert.equal(sleeps, 1);
    assert.equal(probes, 1);
  } finally {
    for (const s of sockets) s.close();
    removeRuntimeDir(sp);
  }
});
