// Which routes someone other than the hub may add through the configurable-http-proxy API (a
// JupyterHub-style service, an extra route): never one that shadows or takes over what the hub
// owns. Used by the proxy's route API and by the hub that stores them. Pure.
import { RESERVED_PREFIX } from "@/proxy/origins/handshake";

/** First path segments under which only the hub routes (lower case). */
const HUB_OWNED = ["user", "hub", RESERVED_PREFIX.replace(/\//g, ""), "_chp_healthz"];

/** Largest route data (JSON) an extra route may carry, bytes. */
export const EXTRA_ROUTE_MAX_DATA_BYTES = 16 * 1024;

/**
 * Why an extra route may not be added (a sentence for a 4xx answer), or null when it may.
 * Refused: "/" (every request the hub serves would go there), a path under /user/ or /hub/ or
 * the proxy's own paths (a user's server or the hub's pages taken over), and data with a
 * `spawn_id` (the proxy would send a user server's token to the target).
 */
export function extraRouteRefusal(rawPath: string, data: unknown): string | null {
  // The route trie ignores empty segments ("//user/x" is "/user/x"); the first segment is also
  // compared decoded and in lower case, so no spelling of it slips past.
  const first = rawPath.split("/").find((s) => s.length > 0);
  if (first === undefined) return "The route '/' is the hub's: a route there would take every request the hub serves.";
  let decoded = first;
  try {
    decoded = decodeURIComponent(first);
  } catch {
    // not decodable: compared as it is
  }
  const owned = HUB_OWNED.find((p) => first.toLowerCase() === p || decoded.toLowerCase() === p);
  if (owned) return `Routes under /${owned}/ are the hub's: another client cannot add or remove them.`;
  if (data !== undefined) {
    if (!data || typeof data !== "object" || Array.isArray(data)) return "Route data must be a JSON object.";
    if ("spawn_id" in data) return "'spawn_id' is the hub's: a route added by another client cannot carry a server's token.";
    if (JSON.stringify(data).length > EXTRA_ROUTE_MAX_DATA_BYTES) return `Route data is larger than ${EXTRA_ROUTE_MAX_DATA_BYTES} bytes.`;
  }
  return null;
}
