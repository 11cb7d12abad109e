// The one error type of the launch domain: a kind the hub maps to an answer, and a message that
// is safe and useful to show the person who clicked the link.

/**
 * - bad-link: the link itself is malformed (400)
 * - denied: the admin's allow-list refuses the repository (403)
 * - not-found: no such repository, ref or commit — or it is private (404)
 * - rate-limited: the provider's API refuses for now (503; `retryAfterSeconds` when known)
 * - unreachable: the provider could not be reached or answered oddly (502)
 * - unsupported: this hub's spawner cannot do it (501)
 * - pull-failed: git-pull could not merge or fetch (409); the message says what to do
 */
export type LaunchErrorKind = "bad-link" | "denied" | "not-found" | "rate-limited" | "unreachable" | "unsupported" | "pull-failed";

export class LaunchError extends Error {
  name = "LaunchError";
  constructor(
    readonly kind: LaunchErrorKind,
    message: string,
    readonly retryAfterSeconds?: number,
    /** the end of a log that explains it (a failed merge) */
    readonly logTail?: string,
  ) {
    super(message);
  }
}

/** HTTP status for a LaunchError kind (the launch page and JSON answers). */
export function launchErrorStatus(kind: LaunchErrorKind): number {
  return { "bad-link": 400, denied: 403, "not-found": 404, "rate-limited": 503, unreachable: 502, unsupported: 501, "pull-failed": 409 }[kind];
}

/**
 * True for a LaunchError, also one thrown by the hub process's own copy of this module: the ref
 * resolver is made by the Express entry, and Next's bundle has a second copy of every module, so
 * `instanceof` alone misses errors that cross between the two (app/_lib/runtime.ts says why).
 */
export function isLaunchError(err: unknown): err is LaunchError {
  if (err instanceof LaunchError) return true;
  return err instanceof Error && err.name === "LaunchError" && typeof (err as { kind?: unknown }).kind === "string";
}
