// The spawn form a user sees on /hub/spawn (and whether /hub/home's Start button leads there):
// what the configured spawner describes for the server's owner, plus the options of their last
// start so the form opens on the same choices.
import type { SpawnOptionsForm } from "@/spawners/types";
import { describeSpawnOptions } from "@/spawners/spawn-options";
import { findUserWithGroups } from "@/app/_lib/users/queries";
import type { HubRuntime } from "../runtime";

export interface SpawnFormView {
  form: SpawnOptionsForm;
  /** options of the last start of this server (profile preselected from them) */
  last: Record<string, unknown>;
}

/** null when the spawner offers no choices (a plain Start button is enough) or the user is unknown. */
export async function getSpawnForm(rt: Pick<HubRuntime, "db" | "config" | "catalog">, userName: string, serverName: string): Promise<SpawnFormView | null> {
  const { db, config, catalog } = rt;
  const user = await findUserWithGroups(db, { name: userName });
  if (!user) return null;
  const form = describeSpawnOptions({ catalog, kind: config.spawner.kind, config: config.spawner }, user);
  if (!form) return null;
  const row = await db.server.findUnique({ where: { userId_name: { userId: user.id, name: serverName } }, select: { options: true } });
  let last: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row?.options ?? "{}");
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) last = parsed as Record<string, unknown>;
  } catch {
    /* a malformed stored value only loses the preselection */
  }
  return { form, last };
}
