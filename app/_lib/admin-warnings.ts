// Findings at hub start that an admin should act on (a configuration that works on this host but
// not for jobs elsewhere): logged, and kept for the admin pages of this hub process.
export interface AdminWarning {
  /** what is wrong and which option to set, in the admin's terms */
  message: string;
  /** when it was found (ISO 8601) */
  at: string;
}

const KEY = Symbol.for("gyre.hub.admin-warnings");
// On globalThis: the Express entry (where spawner kinds start) and the Next bundle (where the
// admin pages render) have their own copies of this module.
type Holder = { [KEY]?: AdminWarning[] };

/** Keeps `message` for the admin pages (once: a repeated finding is not listed twice). */
export function addAdminWarning(message: string, now: Date): void {
  const list = ((globalThis as Holder)[KEY] ??= []);
  if (!list.some((w) => w.message === message)) list.push({ message, at: now.toISOString() });
}

/** What this hub process found, oldest first. */
export function listAdminWarnings(): readonly AdminWarning[] {
  return (globalThis as Holder)[KEY] ?? [];
}

/** Forgets every warning (tests; a new hub in the same process). */
export function clearAdminWarnings(): void {
  delete (globalThis as Holder)[KEY];
}
