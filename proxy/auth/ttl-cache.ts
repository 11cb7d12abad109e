// A small expiring cache (API token → owner lookups). Pure: callers pass `now` in ms.

/** Map with a per-entry expiry and a size bound (the oldest entries go first when full). */
export class TtlCache<V> {
  private entries = new Map<string, { value: V; expires: number }>();
  constructor(private readonly maxEntries = 10_000) {}

  /** The value if present and not expired at `now`. */
  get(key: string, now: number): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Whether a live entry exists (a cached `null` counts). */
  has(key: string, now: number): boolean {
    return this.get(key, now) !== undefined || (this.entries.has(key) && this.entries.get(key)!.expires > now);
  }

  set(key: string, value: V, ttlMs: number, now: number): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.delete(key);
    this.entries.set(key, { value, expires: now + ttlMs });
  }

  /** The keys, live or not yet swept. */
  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
