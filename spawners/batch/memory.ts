// Memory sizes as admins write them for batch schedulers: "4G", "512M", "1.5T", or a number of
// bytes. Units are binary (1G = 1024 M = 2^30 bytes), as Slurm's --mem and Grid Engine's h_vmem
// read them; "Gi"/"GiB"/"GB" spellings mean the same. Pure.
import { z } from "zod";

const UNITS: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** The message for a value that is not a memory size (shown in config errors and 400s). */
export function memoryHint(value: unknown): string {
  return `${JSON.stringify(value)} is not a memory size: write a number of bytes or a number with K, M, G or T (binary: 1G = 1024M), e.g. "4G", "512M", "1.5T"`;
}

/** Bytes for "4G", "512M", "1.5T", "4GiB", 4294967296 (whole bytes, rounded down); throws otherwise. */
export function parseMemoryBytes(value: number | string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new Error(memoryHint(value));
    return Math.floor(value);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([KMGTkmgt])(?:i?B)?)?\s*$/.exec(value);
  if (!m) throw new Error(memoryHint(value));
  const unit = m[2] ? UNITS[m[2].toUpperCase()] : 1;
  return Math.floor(Number(m[1]) * unit);
}

/** "4 GiB", "512 MiB", "1.5 TiB": bytes as people read them (the largest unit with a value ≥ 1). */
export function formatMemory(bytes: number): string {
  for (const [unit, size] of [
    ["TiB", 2 ** 40],
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
    ["KiB", 2 ** 10],
  ] as const) {
    if (bytes >= size) return `${+(bytes / size).toFixed(2)} ${unit}`;
  }
  return `${bytes} B`;
}

/** A zod field for a memory size in bytes that accepts unit strings; `min`/`max` are bytes. */
export function memoryField(min: number, max: number) {
  return z.union([z.number(), z.string()]).transform((v, ctx) => {
    let bytes: number;
    try {
      bytes = parseMemoryBytes(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
    if (bytes < min || bytes > max) {
      ctx.addIssue({ code: "custom", message: `must be between ${formatMemory(min)} and ${formatMemory(max)} (got ${formatMemory(bytes)})` });
      return z.NEVER;
    }
    return bytes;
  });
}
