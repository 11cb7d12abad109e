// The user as a spawner sees them (SpawnContext.user): name, admin flag, groups, and the OS
// account resolved once, here, from hub.osUserTemplate / hub.osUserMapFile (os-account.ts).
import { readFileSync } from "node:fs";
import type { Db } from "@/app/_lib/db/types";
import type { SpawnUser } from "@/spawners/types";
import { OsAccountError, parseOsAccountMap, resolveOsAccount, type OsAccountMapping } from "./os-account";
import { findUserWithGroups } from "./queries";

/** The options of the mapping, from the hub section. */
export interface OsAccountOptions {
  osUserTemplate: string;
  osUserMapFile?: string;
}

/**
 * The mapping with the map file read now (not once at start: an edited file applies to the next
 * spawn without a restart). Throws OsAccountError when the file cannot be read.
 */
export function loadOsAccountMapping(opts: OsAccountOptions): OsAccountMapping {
  if (!opts.osUserMapFile) return { template: opts.osUserTemplate };
  let text: string;
  try {
    text = readFileSync(opts.osUserMapFile, "utf8");
  } catch (err) {
    throw new OsAccountError(`hub.osUserMapFile ${opts.osUserMapFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  return { template: opts.osUserTemplate, map: parseOsAccountMap(text) };
}

/** The spawner's view of user `userId`; throws OsAccountError when no valid OS account maps. */
export async function loadSpawnUser(db: Db, userId: number, opts: OsAccountOptions): Promise<SpawnUser> {
  const user = await findUserWithGroups(db, { id: userId });
  if (!user) throw new Error(`user ${userId} does not exist`);
  const osUser = resolveOsAccount({ userName: user.name, stored: user.osUser, mapping: loadOsAccountMapping(opts) });
  return { name: user.name, osUser, admin: user.admin, groups: user.groups };
}
