// What the hub knows of a server the proxy could not reach: the proxy asks (POST
// /hub/api/proxy/server-check) when a route's target refuses connections, so its error page can
// say why (a job cancelled outside the hub, a killed process) in the seconds before the hub's own
// poll would have noticed. A running server is polled at once by the spawn worker (over the bus,
// so the route handler needs no reference to it), bounded by `waitMs`.
import type { HubRuntime } from "../runtime";

/** Bus event the spawn worker answers by polling one server now. */
export const SERVER_CHECK_EVENT = "check-server";

export interface ServerCheckRequest {
  serverId: number;
  /** called once the poll is done (or failed) */
  done: () => void;
}

/** The answer to the proxy. */
export interface ServerCheck {
  /** the server's state after the check: "running", "starting", "stopped", … */
  state: string;
  /** why it failed or stopped (the scheduler's or the process's words); null when nothing to say */
  message: string | null;
  /** when it stopped (ISO 8601), for stopped and failed servers */
  stoppedAt: string | null;
}

/**
 * Checks the server `name` of user `user` (null when there is none). A server the database says is
 * running is polled now; the answer waits for that poll at most `waitMs` (a slow scheduler does
 * not hold the user's error page).
 */
export async function checkServerForProxy(
  rt: Pick<HubRuntime, "db" | "bus">,
  target: { user: string; server: string },
  opts: { waitMs: number },
): Promise<ServerCheck | null> {
  const find = () =>
    rt.db.server.findFirst({
      where: { name: target.server, user: { name: target.user } },
      select: { id: true, state: true, message: true, stoppedAt: true },
    });
  const before = await find();
  if (!before) return null;
  let row = before;
  if (before.state === "running" && rt.bus.listenerCount(SERVER_CHECK_EVENT) > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.waitMs);
      const request: ServerCheckRequest = {
        serverId: before.id,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      rt.bus.emit(SERVER_CHECK_EVENT, request);
    });
    row = (await find()) ?? before;
  }
  return { state: row.state, message: row.message, stoppedAt: row.stoppedAt?.toISOString() ?? null };
}
