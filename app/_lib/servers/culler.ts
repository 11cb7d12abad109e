// The idle culler (culling.* in the config): stops idle servers the same way a user would, with
// the reason stored on the server so the user sees why. Off by default.
import type { HubRuntime } from "../runtime";
import type { HubReplica } from "../replicas/replica";
import { selectServersToCull } from "./cull-policy";
import { startPeriodic } from "../hub/periodic";

/** Runs on the one hub replica that holds the "culler" lease. */
export function startCuller(rt: HubRuntime, replica: Pick<HubReplica, "holds">): () => Promise<void> {
  const { config, db, log, bus } = rt;
  if (!config.culling.enabled) return async () => {};
  const run = async () => {
    if (!replica.holds("culler")) return;
    const now = new Date();
    const running = await db.server.findMany({ where: { state: "running" } });
    for (const { server, reason } of selectServersToCull(running, config.culling, now)) {
      const r = await db.server.updateMany({ where: { id: server.id, state: "running" }, data: { state: "stopping", message: reason } });
      if (r.count) log.info({ server: server.id, reason }, "culling idle server");
    }
    if (config.culling.removeUsers) {
      const cutoff = new Date(now.getTime() - config.culling.timeoutSeconds * 1000);
      const gone = await db.user.deleteMany({
        where: {
          admin: false,
          OR: [{ lastActivity: { lt: cutoff } }, { lastActivity: null, createdAt: { lt: cutoff } }],
          servers: { none: { state: { not: "stopped" } } },
        },
      });
      if (gone.count) log.info({ count: gone.count }, "removed inactive users");
    }
    bus.emit("wake");
  };
  const task = startPeriodic({ run, everyMs: config.culling.everySeconds * 1000, onError: (err) => log.error({ err }, "culler failed") });
  return () => task.stop();
}
