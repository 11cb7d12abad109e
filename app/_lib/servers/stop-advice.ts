// What to do next after a server stopped without its owner asking (walltime, scancel, node
// failure, out of memory, idle culling), from the reason the hub recorded. Shown where the proxy
// sends people whose server is gone (/hub/spawn). Pure.

/** One sentence of advice for a recorded stop reason; a general one when the reason is not known. */
export function adviceAfterStop(reason: string): string {
  const r = reason.toLowerCase();
  if (/walltime/.test(r)) return "Save your work more often near the end of a job, and start it again with a longer walltime if your profile allows one.";
  if (/out of memory|memory limit/.test(r)) return "Start it again with more memory (a bigger profile), or work on smaller pieces of data.";
  if (/no longer known/.test(r)) return "Start it again; if it keeps stopping, the log on your home page shows what it printed last.";
  if (/cancelled|deleted|killed/.test(r))
    return "Someone with rights on the cluster (you, or an administrator) cancelled the job; start it again when you need it.";
  if (/node .*fail|failed to boot|lost contact/.test(r))
    return "The cluster lost the node; start it again, and tell your administrators if it keeps happening.";
  if (/preempted/.test(r)) return "A higher-priority job took its place; start it again, or choose a queue without preemption.";
  if (/idle|inactiv/.test(r)) return "Start it again when you need it; your files are where you left them.";
  return "Start it again; if it keeps stopping, the log on your home page shows what it printed last.";
}
