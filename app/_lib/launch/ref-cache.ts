// Resolved refs, remembered. Pure: callers pass `now` (ms). An entry stays usable after its TTL
// when it has an ETag: the resolver then asks again with If-None-Match, and a 304 (which GitHub
// does not count against the rate limit) makes it fresh again. Misses ("no such ref") are kept
// for the TTL too, so a broken link clicked by a whole class costs one API call.
import type { LaunchError } from "./launch-error";

export type RefCacheValue = { commit: string; etag?: string } | { error: LaunchError };

interface Entry {
  value: RefCacheValue;
  storedAt: number;
  ttlMs: number;
}

export class RefCache {
  private entries = new Map<string, Entry>();
  constructor(private readonly maxEntries = 2000) {}

  /** The entry and whether it is still within its TTL; undefined when there is none. */
  get(key: string, now: number): { value: RefCacheValue; fresh: boolean } | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const fresh = now - e.storedAt < e.ttlMs;
    if (!fresh && !("etag" in e.value && e.value.etag)) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: e.value, fresh };
  }

  set(key: string, value: RefCacheValue, ttlMs: number, now: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, storedAt: now, ttlMs });
  }

  /** Marks a kept entry fresh again (after a 304). */
  touch(key: string, now: number): void {
    const e = this.entries.get(key);
    if (e) this.set(key, e.value, e.ttlMs, now);
  }
}
