// Options that moved: an old key in a config file (or a GYRE_* variable) stops the process with
// a message that says where the option lives now, rather than being ignored or reported as merely
// unknown. Add a line when an option moves; drop it a few releases later. Pure.

export interface MovedOption {
  /** dotted path of the old key */
  from: string;
  /** dotted path of the new one */
  to: string;
  /** what else changed, for the message */
  note: string;
}

export const MOVED_OPTIONS: readonly MovedOption[] = [
  { from: "spawner.local.osUserTemplate", to: "hub.osUserTemplate", note: "it now applies to every spawner kind" },
  { from: "auth.github.osUserPattern", to: "hub.osUserTemplate", note: "write {username} (the hub user name: the lower-cased GitHub login) where {login} was" },
  { from: "auth.github.osUserMapFile", to: "hub.osUserMapFile", note: "its lines now start with the hub user name (the lower-cased GitHub login)" },
];

/** One line per moved option present in `data` (a parsed config with its environment overrides). */
export function findMovedOptions(data: unknown, moved: readonly MovedOption[] = MOVED_OPTIONS): string[] {
  const found: string[] = [];
  for (const m of moved) {
    let node: unknown = data;
    for (const key of m.from.split("."))
      node = typeof node === "object" && node !== null && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
    if (node !== undefined) found.push(`  - ${m.from} has moved to ${m.to}: ${m.note}.`);
  }
  return found;
}
