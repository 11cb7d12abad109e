// Many users straight into the database, for the users-view benchmark and the control panel's
// e2e tests: deterministic names (so searches have known answers), admins, blocked accounts,
// activity, servers in every state, group memberships and usage records, written in batches.
import type { Db } from "@/app/_lib/db/types";

export interface SeedOptions {
  count: number;
  /** "now" of the generated timestamps */
  now: Date;
  /** groups created and filled (each user joins 0–2 of them) */
  groups?: number;
  /** usage records per user, spread over the last 60 days */
  usagePerUser?: number;
  /** profile names for the generated servers */
  profiles?: string[];
  /**
   * false: every generated server is stopped (for a live hub, whose spawn worker would otherwise
   * start the "pending" ones and poll the "running" ones); default true
   */
  activeServers?: boolean;
}

const FIRST = ["alice", "bruno", "chen", "dana", "emil", "fatima", "goran", "hana", "ivan", "jules", "kofi", "lena", "mateo", "noor", "oskar", "priya"];
const LAST = ["moreau", "nakamura", "okafor", "petrov", "quinn", "rossi", "silva", "tanaka", "umar", "vogel", "weber", "xu", "yilmaz", "zhang"];

/** The name of the i-th seeded user: "alice-moreau-00017" (first and last names cycle). */
export function seededName(i: number): string {
  return `${FIRST[i % FIRST.length]}-${LAST[Math.floor(i / FIRST.length) % LAST.length]}-${String(i).padStart(5, "0")}`;
}

/** A small deterministic PRNG (mulberry32), so every run seeds the same data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function inBatches<T>(rows: T[], size: number, write: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await write(rows.slice(i, i + size));
}

/**
 * Writes `count` users named seededName(0…count-1). About 1 % are admins, 0.5 % blocked, 80 %
 * have been active in the last 90 days; 5 % have a running default server, 1 % a starting one,
 * 10 % a stopped one, 2 % a named server too. Returns the number of servers written per state.
 */
export async function seedUsers(db: Db, opts: SeedOptions): Promise<Record<string, number>> {
  const rnd = random(42);
  const now = opts.now.getTime();
  const day = 86_400_000;
  const profiles = opts.profiles ?? ["small", "large"];
  const users = Array.from({ length: opts.count }, (_, i) => ({
    name: seededName(i),
    admin: rnd() < 0.01,
    blockedAt: rnd() < 0.005 ? new Date(now - rnd() * 30 * day) : null,
    createdAt: new Date(now - (100 + rnd() * 300) * day),
    lastActivity: rnd() < 0.8 ? new Date(now - rnd() * 90 * day) : null,
  }));
  await inBatches(users, 2000, (batch) => db.user.createMany({ data: batch }));
  const ids = new Map(
    (await db.user.findMany({ where: { name: { in: users.map((u) => u.name) } }, select: { id: true, name: true } })).map((u) => [u.name, u.id]),
  );
  const servers: { userId: number; name: string; state: string; profile: string; startedAt: Date | null; lastActivity: Date | null; spawnerKind: string }[] =
    [];
  const perState: Record<string, number> = {};
  users.forEach((u) => {
    const userId = ids.get(u.name)!;
    const r = rnd();
    const drawn = r < 0.05 ? "running" : r < 0.06 ? "pending" : r < 0.16 ? "stopped" : null;
    if (!drawn) return;
    const state = opts.activeServers === false ? "stopped" : drawn;
    const profile = profiles[Math.floor(rnd() * profiles.length)];
    const startedAt = state === "running" ? new Date(now - rnd() * 3 * day) : state === "stopped" ? new Date(now - (3 + rnd() * 30) * day) : null;
    servers.push({ userId, name: "", state, profile, startedAt, lastActivity: startedAt, spawnerKind: "local" });
    perState[state] = (perState[state] ?? 0) + 1;
    if (rnd() < 0.2) servers.push({ userId, name: "gpu", state: "stopped", profile, startedAt: null, lastActivity: null, spawnerKind: "local" });
  });
  await inBatches(servers, 2000, (batch) => db.server.createMany({ data: batch }));

  const groupCount = opts.groups ?? 20;
  if (groupCount) {
    await db.group.createMany({ data: Array.from({ length: groupCount }, (_, g) => ({ name: `team-${g}` })) });
    const groupIds = (await db.group.findMany({ where: { name: { startsWith: "team-" } }, select: { id: true } })).map((g) => g.id);
    const members: { userId: number; groupId: number }[] = [];
    for (const id of ids.values()) {
      const k = Math.floor(rnd() * 3);
      const chosen = new Set(Array.from({ length: k }, () => groupIds[Math.floor(rnd() * groupIds.length)]));
      for (const groupId of chosen) members.push({ userId: id, groupId });
    }
    await inBatches(members, 5000, (batch) => db.groupMember.createMany({ data: batch }));
  }

  const perUser = opts.usagePerUser ?? 0;
  if (perUser) {
    const records: {
      userId: number;
      serverName: string;
      spawnId: string;
      spawnerKind: string;
      startedAt: Date;
      endedAt: Date;
      sampledAt: Date;
      cpuSeconds: number;
      peakMemoryBytes: number;
      source: string;
      settled: boolean;
    }[] = [];
    let n = 0;
    for (const id of ids.values()) {
      for (let k = 0; k < perUser; k++) {
        if (rnd() < 0.5) continue;
        const startedAt = new Date(now - rnd() * 60 * day);
        const hours = 0.2 + rnd() * 8;
        const endedAt = new Date(Math.min(now, startedAt.getTime() + hours * 3_600_000));
        records.push({
          userId: id,
          serverName: "",
          spawnId: `seed-${n++}`,
          spawnerKind: "local",
          startedAt,
          endedAt,
          sampledAt: endedAt,
          cpuSeconds: hours * 3600 * rnd() * 0.5,
          peakMemoryBytes: Math.round((0.2 + rnd() * 4) * 2 ** 30),
          source: "proc",
          settled: true,
        });
      }
    }
    await inBatches(records, 2000, (batch) => db.usageRecord.createMany({ data: batch }));
  }
  return perState;
}
