// JupyterHub's activity report (POST /hub/api/users/{name}/activity), parsed and checked. Pure: the
// caller passes the clock. Rules as JupyterHub's ActivityAPIHandler: at least one of
// `last_activity` and `servers`; each server entry {last_activity}; timestamps ISO 8601, up to an
// hour in the future clamped to now (clock skew), further ahead refused.
import { HttpError } from "@/app/_lib/http/errors";

/** A parsed report: the user's and each named server's last activity ("" = the default server). */
export interface ActivityReport {
  user: Date | null;
  servers: Map<string, Date>;
}

const SERVERS_SHAPE = "servers must be a dict of the form {server_name: {last_activity: timestamp}}";
const MAX_FUTURE_MS = 59 * 60_000;

/** Parses a report body; a 400 that says what is wrong otherwise. */
export function parseActivityReport(body: unknown, now: Date): ActivityReport {
  if (!isPlainObject(body)) throw new HttpError(400, "body must be a json dict");
  const { last_activity: lastActivity, servers } = body;
  if (!lastActivity && !servers) throw new HttpError(400, "body must contain at least one of `last_activity` or `servers`");
  const out: ActivityReport = { user: lastActivity ? parseTimestamp(lastActivity, now) : null, servers: new Map() };
  if (!servers) return out;
  if (!isPlainObject(servers)) throw new HttpError(400, SERVERS_SHAPE);
  for (const [name, info] of Object.entries(servers)) {
    if (!isPlainObject(info) || !("last_activity" in info)) throw new HttpError(400, SERVERS_SHAPE);
    out.servers.set(name, parseTimestamp(info.last_activity, now));
  }
  return out;
}

function parseTimestamp(raw: unknown, now: Date): Date {
  // ISO 8601 with a date and a time (Date.parse alone also takes "1" or "March 7")
  const at = typeof raw === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(at.getTime())) throw new HttpError(400, `Not a datetime: ${JSON.stringify(raw)?.slice(0, 64)}`);
  if (at.getTime() - now.getTime() > MAX_FUTURE_MS) throw new HttpError(400, `Rejecting activity from more than an hour in the future: ${at.toISOString()}`);
  return at > now ? now : at;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
