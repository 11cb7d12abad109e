// Which servers the idle culler stops (pure). Activity comes from the proxy's reports (HTTP and
// WebSocket traffic in both directions), so a kernel streaming output counts as active.
export interface CullPolicy {
  timeoutSeconds: number;
  maxAgeSeconds: number;
}

export interface CullCandidate {
  id: number;
  startedAt: Date | null;
  lastActivity: Date | null;
}

export function selectServersToCull<T extends CullCandidate>(running: T[], policy: CullPolicy, now: Date): { server: T; reason: string }[] {
  const out: { server: T; reason: string }[] = [];
  for (const s of running) {
    const last = s.lastActivity ?? s.startedAt;
    if (last && now.getTime() - last.getTime() > policy.timeoutSeconds * 1000) {
      out.push({ server: s, reason: `Stopped after ${formatDuration(policy.timeoutSeconds)} without activity.` });
    } else if (policy.maxAgeSeconds > 0 && s.startedAt && now.getTime() - s.startedAt.getTime() > policy.maxAgeSeconds * 1000) {
      out.push({ server: s, reason: `Stopped after reaching the maximum age of ${formatDuration(policy.maxAgeSeconds)}.` });
    }
  }
  return out;
}

export function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
