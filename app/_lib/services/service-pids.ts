// The process ids of the managed services this hub process runs, for the REST models. Kept apart
// from the supervisor (which spawns processes) so route handlers import no process I/O; on
// globalThis because Next bundles its own copy of the modules (app/_lib/runtime.ts).
const PIDS = Symbol.for("gyre.hub.service-pids");
type Holder = { [PIDS]?: Map<string, number> };

/** name → pid of the managed services running in this hub process. */
export function servicePidTable(): Map<string, number> {
  return ((globalThis as Holder)[PIDS] ??= new Map<string, number>());
}

/** The managed service's process id in this hub process, 0 when it does not run here. */
export function managedServicePid(name: string): number {
  return servicePidTable().get(name) ?? 0;
}
