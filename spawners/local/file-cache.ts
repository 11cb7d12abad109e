// I/O: a small file's parsed content, read again only when the file changed. The local spawner
// looks every server's OS account up in /etc/passwd (and /etc/nsswitch.conf) at each start; a
// storm of 100 starts read and split both files 100 times, through four promise round trips each.
// A synchronous stat (one system call) tells whether the file is still the one read.
import { readFileSync, statSync } from "node:fs";

/**
 * A file's timestamps have the kernel's coarse clock (a few ms): an edit in place that keeps the
 * size within that tick of the read would keep its times too. A file changed this recently is
 * therefore read again at each get() (as git treats "racily clean" files), until it is older.
 */
const SETTLED_MS = 2000;

/** What identifies one version of a file: a replaced file (useradd renames a new one in) has another inode, an edit another size or time. null: no file. */
function statOf(path: string): { version: string; settled: boolean } | null {
  const st = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (!st) return null;
  return { version: `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`, settled: Date.now() - Number(st.mtimeMs) > SETTLED_MS };
}

export class FileCache<T> {
  private version: string | null | undefined;
  private value: T | undefined;
  /** reads of the file's text so far (for tests) */
  reads = 0;

  /** `parse` gets the file's text, or null when there is no such file. */
  constructor(
    private readonly path: string,
    private readonly parse: (text: string | null) => T,
  ) {}

  /** The parsed content of the file as it is now; throws what stat or read throw (other than a missing file). */
  get(): T {
    const st = statOf(this.path);
    const version = st === null ? null : st.version;
    if (version !== this.version || this.value === undefined) {
      this.reads++;
      let text: string | null = null;
      if (version !== null) {
        try {
          text = readFileSync(this.path, "utf8");
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        }
      }
      this.value = this.parse(text);
      // the stat before the read: a change during the read is seen at the next get(); a file
      // changed within the last tick of its clock may change again unseen: not kept
      this.version = st === null || st.settled ? version : undefined;
    }
    return this.value;
  }
}
