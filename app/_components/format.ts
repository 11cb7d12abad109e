// How the hub's pages write times, durations and sizes. Pure; pages render on the server, so the
// text is the same for everyone (UTC), and `now` is passed in.

/** "2026-12-03 14:05 UTC" */
export function formatDateTime(d: Date | string | null): string {
  if (!d) return "—";
  const iso = (typeof d === "string" ? new Date(d) : d).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "just now", "5 min ago", "3 h ago", "12 days ago", "never" */
export function formatAgo(d: Date | string | null, now: Date): string {
  if (!d) return "never";
  const s = Math.max(0, (now.getTime() - new Date(d).getTime()) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86400);
  return `${days} day${days === 1 ? "" : "s"} ago`;
}

/**
 * Hours with sensible precision: "0", "0.0042", "0.25", "3.4", "128". Under 0.01 h with two
 * significant digits: a few seconds of CPU time must not read as none.
 */
export function formatHours(h: number): string {
  if (h === 0) return "0";
  if (h < 0.0001) return "< 0.0001";
  if (h < 0.01) return h.toFixed(1 - Math.floor(Math.log10(h)));
  if (h < 1) return h.toFixed(2);
  if (h < 100) return h.toFixed(1);
  return Math.round(h).toLocaleString("en");
}

/** Seconds as "45 s", "12 min", "3 h 5 min" */
export function formatSeconds(s: number | null): string {
  if (s === null) return "—";
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** Bytes as "512 MiB", "1.5 GiB" */
export function formatBytes(b: number | null): string {
  if (b === null || b === undefined) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
