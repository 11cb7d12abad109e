// Quantities in schedulers' accounting output: durations ("1-02:03:04", "05:12.345", "12.5s") and
// sizes ("1234K", "91.184MB"), and their timestamps. Pure.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Seconds of a Slurm duration: "[D-][HH:]MM:SS[.mmm]" (TotalCPU, Elapsed) or plain seconds with an
 * optional "s" (Grid Engine's "0.848s"); null for anything else.
 */
export function parseDurationSeconds(text: string): number | null {
  const t = text.trim();
  const plain = /^(\d+(?:\.\d+)?)s?$/.exec(t);
  if (plain) return Number(plain[1]);
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(t);
  if (!m) return null;
  const [, d, h, min, s] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min) * 60 + Number(s);
}

const SIZE_UNITS: Record<string, number> = { "": 1, B: 1, K: 2 ** 10, KB: 2 ** 10, M: 2 ** 20, MB: 2 ** 20, G: 2 ** 30, GB: 2 ** 30, T: 2 ** 40, TB: 2 ** 40 };

/** Bytes of "1234K", "12.50M", "91.184MB", "0" (binary units, as Slurm and Grid Engine print them); null otherwise. */
export function parseSizeBytes(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?B?)$/i.exec(text.trim());
  if (!m) return null;
  const unit = SIZE_UNITS[m[2].toUpperCase()];
  return unit === undefined ? null : Math.round(Number(m[1]) * unit);
}

/**
 * A scheduler's wall-clock time as milliseconds on a clock whose zone is unknown (both schedulers
 * print local time without a zone): only differences between two such values mean anything.
 * Reads ISO "2026-12-03T14:00:01" (Slurm) and ctime "Thu Dec  3 13:46:23 2026" (Grid Engine);
 * null for "Unknown", "None", "-/-" and anything else.
 */
export function parseSchedulerTime(text: string): number | null {
  const t = text.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(t);
  if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  m = /^\w{3} (\w{3})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(t);
  if (m && MONTHS.includes(m[1])) return Date.UTC(+m[6], MONTHS.indexOf(m[1]), +m[2], +m[3], +m[4], +m[5]);
  return null;
}
