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

test("a server that binds its unix socket late is probed once it exists, not while the socket file is missing", async () => {
  const server = { pid: 4200, startTime: 9100 };
  const reader: ProcReader = {
    listPids: () => [1, server.pid],
    readStat: (pid) =>
      pid === server.pid ? `${pid} (python3) S 1 ${pid} ${pid} 0 -1 4194560 99 0 0 0 0 0 0 0 20 0 1 0 ${server.startTime} 3133440 413 0 0 0\n` : null,
    readStatus: () => null,
  };
  const watch = new ProcessWatch({ cycleMs: 5, reader });
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
  }
});
