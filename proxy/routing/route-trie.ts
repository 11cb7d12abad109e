// Longest-prefix matching of request paths against route prefixes, one trie node per path
// segment (the scheme of configurable-http-proxy's lib/trie.js). A lookup walks at most as many
// nodes as the request path has segments, so it costs the same with 1 or 100,000 routes.
// Pure: no I/O, no clock.

interface TrieNode<T> {
  /** null until the node gets a child: most nodes are leaves (one per route), and an empty Map is not free */
  children: Map<string, TrieNode<T>> | null;
  data: T | undefined;
  /** the normalised prefix this node stands for ("/", "/user", "/user/alice") */
  prefix: string;
}

/** A match: the most specific prefix that has data, and that data. */
export interface TrieMatch<T> {
  prefix: string;
  data: T;
}

/**
 * Maps normalised route prefixes ("/", "/user/alice") to data. Prefixes are split on "/";
 * empty segments are ignored, so "/a//b/" and "/a/b" are the same prefix.
 */
export class RouteTrie<T> {
  private root: TrieNode<T> = { children: new Map(), data: undefined, prefix: "/" };
  private count = 0;

  /** Number of prefixes holding data. */
  get size(): number {
    return this.count;
  }

  /** Stores data at a prefix, replacing what was there. */
  add(prefix: string, data: T): void {
    let node = this.root;
    for (const seg of splitSegments(prefix)) {
      let child = node.children?.get(seg);
      if (!child) {
        child = { children: null, data: undefined, prefix: node.prefix === "/" ? "/" + seg : node.prefix + "/" + seg };
        (node.children ??= new Map()).set(seg, child);
      }
      node = child;
    }
    if (node.data === undefined) this.count++;
    node.data = data;
  }

  /** Removes the data at a prefix and prunes empty branches; returns whether there was any. */
  remove(prefix: string): boolean {
    const segs = splitSegments(prefix);
    const path: TrieNode<T>[] = [this.root];
    let node = this.root;
    for (const seg of segs) {
      const child = node.children?.get(seg);
      if (!child) return false;
      path.push(child);
      node = child;
    }
    if (node.data === undefined) return false;
    node.data = undefined;
    this.count--;
    for (let i = segs.length; i > 0; i--) {
      const n = path[i];
      if (n.data !== undefined || (n.children !== null && n.children.size > 0)) break;
      const parent = path[i - 1];
      parent.children!.delete(segs[i - 1]);
      if (parent.children!.size === 0 && parent !== this.root) parent.children = null;
    }
    return true;
  }

  /** The data stored at exactly this prefix, if any. */
  getExact(prefix: string): T | undefined {
    let node: TrieNode<T> | undefined = this.root;
    for (const seg of splitSegments(prefix)) {
      node = node.children?.get(seg);
      if (!node) return undefined;
    }
    return node.data;
  }

  /**
   * The most specific prefix of `url` that holds data. The query string is ignored; matching is
   * by whole segments ("/user/al" does not match "/user/alice/x"). Allocates only the segment
   * strings it looks up.
   */
  match(url: string): TrieMatch<T> | undefined {
    let node = this.root;
    let best: TrieNode<T> | undefined = node.data !== undefined ? node : undefined;
    let end = url.indexOf("?");
    if (end === -1) end = url.length;
    let i = 0;
    while (i < end) {
      if (url.charCodeAt(i) === 47 /* / */) {
        i++;
        continue;
      }
      let j = url.indexOf("/", i);
      if (j === -1 || j > end) j = end;
      if (node.children === null) break;
      const child = node.children.get(url.slice(i, j));
      if (!child) break;
      node = child;
      if (node.data !== undefined) best = node;
      i = j;
    }
    return best ? { prefix: best.prefix, data: best.data as T } : undefined;
  }
}

function splitSegments(prefix: string): string[] {
  return prefix.split("/").filter((s) => s.length > 0);
}
