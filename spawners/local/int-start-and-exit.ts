// Helper for local.int.test.ts (not a test itself): starts a server in THIS process, prints the
// spawner state as JSON on stdout and exits, like a hub that stops right after a spawn.
// Input: GYRE_INT_SPAWN = JSON {ctx without log, config, whenLaunched?}. whenLaunched: print the
// state as soon as the server process is launched (before it answers) and wait to be killed, like a
// hub that dies in the middle of a start.
import { LocalProcessSpawner } from "./index";
import type { LocalSpawnerConfig } from "./config";
import type { SpawnContext } from "../types";

const input = JSON.parse(process.env.GYRE_INT_SPAWN ?? "{}") as { ctx: Omit<SpawnContext, "log">; config: LocalSpawnerConfig; whenLaunched?: boolean };
const noop = () => {};
const spawner = new LocalProcessSpawner({ ...input.ctx, log: { info: noop, warn: noop, error: noop, debug: noop } }, input.config);
if (input.whenLaunched) {
  void spawner.start().catch(() => undefined);
  for await (const e of spawner.progress()) {
    if (e.progress !== 40) continue;
    process.stdout.write(JSON.stringify({ state: spawner.getState() }) + "\n");
    await new Promise(() => {});
  }
}
const started = await spawner.start();
process.stdout.write(JSON.stringify({ started, state: spawner.getState() }) + "\n");
process.exit(0);
