// GYRE_* environment variables override options of the config file. Pure.

/**
 * GYRE_HUB__PORT=9000 → { hub: { port: 9000 } }. Path segments are SCREAMING_SNAKE for camelCase
 * keys; values are parsed as JSON when they look like JSON (numbers, booleans, arrays, objects),
 * else taken as strings. Unknown keys are then rejected by the strict schema, naming the variable.
 */
export function applyEnvOverrides(base: Record<string, unknown>, env: Record<string, string | undefined>): Record<string, unknown> {
  const out = structuredClone(base);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("GYRE_") || raw === undefined || name === "GYRE_CONFIG") continue;
    const path = name.slice(5).split("__").map(snakeToCamel);
    let node = out;
    for (const seg of path.slice(0, -1)) {
      if (typeof node[seg] !== "object" || node[seg] === null) node[seg] = {};
      node = node[seg] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = parseEnvValue(raw);
  }
  return out;
}

function snakeToCamel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseEnvValue(raw: string): unknown {
  if (/^(-?\d+(\.\d+)?|true|false|null)$/.test(raw) || /^[[{"]/.test(raw)) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}
