// I/O: notice at once when a file is created in a directory (inotify, through fs.watch), for the
// local spawner's wait for a starting server's unix socket. Polled with a back-off up to 500 ms
// apart, a server's socket was found on average a quarter of a second after it appeared, and the
// last server of a storm up to half a second late (bench/README.md, phase 3q).
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

/** Watches one path's directory for that path's creation (see fileAppearance). */
export interface FileAppearance {
  /**
   * Settles when `wait` does, or earlier once the file has been created (or renamed into place)
   * since the last call: then at once. A caller checks for the file itself afterwards: the
   * notice is a hint to look now, not proof that the file is there.
   */
  raceWith(wait: Promise<void>): Promise<void>;
  /** Stops watching; a pending raceWith settles with its `wait`. Idempotent. */
  close(): void;
}

/**
 * Starts watching `path`'s directory for `path`. Where the directory cannot be watched (no
 * inotify, the watch limit reached) raceWith is the plain `wait`: the caller's back-off still
 * finds the file, only later.
 */
export function fileAppearance(path: string): FileAppearance {
  const name = basename(path);
  let noticed = false;
  let wake: (() => void) | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(path), (_event, file) => {
      // `file` is null where the platform does not say which file changed: look anyway
      if (file !== null && file !== name) return;
      noticed = true;
      wake?.();
    });
    watcher.on("error", () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null;
  }
  return {
    raceWith(wait) {
      if (noticed) {
        noticed = false;
        return Promise.resolve();
      }
      if (!watcher) return wait;
      return Promise.race([
        wait,
        new Promise<void>((resolve) => {
          wake = resolve;
        }),
      ]).finally(() => {
        wake = null;
        noticed = false;
      });
    },
    close() {
      watcher?.close();
      watcher = null;
    },
  };
}
