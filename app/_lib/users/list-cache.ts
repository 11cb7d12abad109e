// The users list's answer cache (pure: the caller reads the database's version and computes the
// pages, app/_lib/users/queries.ts listUsersJsonCached). What it holds is a pure function of the
// database's state, named by its version (SqlReads.dataVersion), and of the listing's parameters:
// each user's JSON text as an "inherit" caller sees it, at their position in one ordering (a state
// filter, a sort, with or without stopped servers), and how many users that ordering holds. Any
// page of that ordering — whatever its offset and limit — is the slice of those texts, so pages
// at other offsets fill and share one listing (clients and the bench ask for pages at many
// offsets; caching whole answers by offset would hold a 35 KB string per offset and rarely hit).
import type { DataVersion } from "@/app/_lib/db/sql-reads";

/** How one ordering of users is listed: every query parameter that shapes the users' texts and order. */
export interface ListingParams {
  state?: string;
  sort: { field: string; descending: boolean };
  allServers: boolean;
}

/** The bounds: at most `listings` orderings of at most `users` users each, and `chars` characters of users' text over all of them. */
export interface ListCacheLimits {
  listings: number;
  users: number;
  chars: number;
}

/**
 * 4 orderings of at most 20,000 users, 4 million characters over all (4–8 MB: one byte per
 * character for ASCII text, two otherwise). 1,001 users without servers are ~180 kB per
 * ordering; a larger listing's pages are computed each time.
 */
export const LIST_CACHE_LIMITS: ListCacheLimits = { listings: 4, users: 20_000, chars: 4_000_000 };

interface Listing {
  version: DataVersion;
  total: number;
  /** users' texts by position in the ordering; a hole: no page holding that position was stored */
  texts: (string | undefined)[];
  chars: number;
}

/** The key of an ordering. */
export function listingKey(p: ListingParams): string {
  return `${p.state ?? ""}|${p.sort.field}|${p.sort.descending ? "desc" : "asc"}|${p.allServers ? "all" : "active"}`;
}

/** Users' texts of the listings seen at the database's current version, least recently used first. */
export class UserListCache {
  private readonly listings = new Map<string, Listing>();
  private chars = 0;

  constructor(private readonly limits: ListCacheLimits = LIST_CACHE_LIMITS) {}

  /**
   * The page [offset, offset + limit) of the listing `key` as a JSON array's text, with the
   * listing's total, when it is held for exactly this `version` and every position on the page
   * is filled; null otherwise (the caller computes the page and stores it).
   */
  page(version: DataVersion, key: string, offset: number, limit: number): { total: number; items: string } | null {
    const l = this.listings.get(key);
    if (!l || l.version !== version) return null;
    const end = Math.min(offset + limit, l.total);
    if (offset >= end) return { total: l.total, items: "[]" };
    const texts = l.texts;
    for (let i = offset; i < end; i++) if (texts[i] === undefined) return null;
    // most recently used last
    this.listings.delete(key);
    this.listings.set(key, l);
    return { total: l.total, items: `[${texts.slice(offset, end).join(",")}]` };
  }

  /**
   * Keeps a page that was computed wholly at `version` (the caller read the same version before
   * and after its statements): `texts` are the users at positions offset, offset + 1, … and
   * `total` the users the listing holds. Listings of other versions can never be asked for again
   * (a version read after a commit never equals one read before it) and are dropped.
   */
  store(version: DataVersion, key: string, offset: number, texts: readonly string[], total: number): void {
    if (total > this.limits.users) return;
    for (const [k, other] of this.listings) if (other.version !== version) this.drop(k, other);
    let l = this.listings.get(key);
    // the same state gives the same total: another one would be a caller's mistake, not kept
    if (l && l.total !== total) {
      this.drop(key, l);
      l = undefined;
    }
    if (!l) {
      l = { version, total, texts: new Array<string | undefined>(total), chars: 0 };
      this.listings.set(key, l);
    } else {
      this.listings.delete(key);
      this.listings.set(key, l);
    }
    for (let i = 0; i < texts.length && offset + i < total; i++) {
      if (l.texts[offset + i] !== undefined) continue;
      // a text made by concatenation (userJsonText) is a rope of its parts in V8, walked again by
      // every join of a hit; reading a character flattens it once, in place (the hit's page
      // statement-free path was 15% `page` in a profile before this)
      texts[i].charCodeAt(0);
      l.texts[offset + i] = texts[i];
      l.chars += texts[i].length;
      this.chars += texts[i].length;
    }
    for (const [k, oldest] of this.listings) {
      if (this.listings.size <= this.limits.listings && this.chars <= this.limits.chars) break;
      this.drop(k, oldest);
    }
  }

  /** How many listings and characters are held (tests, the bound). */
  size(): { listings: number; chars: number } {
    return { listings: this.listings.size, chars: this.chars };
  }

  private drop(key: string, l: Listing): void {
    this.listings.delete(key);
    this.chars -= l.chars;
  }
}
