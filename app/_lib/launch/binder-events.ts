// BinderHub's event-stream build API (/build/<provider>/<spec>), which Thebe, Jupyter Book and
// BinderHub's own JavaScript client speak: Server-Sent Events whose data lines are JSON objects
// with "phase" and "message" (messages end with "\n"; clients append them to a log), the phases
// waiting, fetching, building, built, launching, ready, failed, and on "ready" where the server
// is: url, token, image, repo_url, binder_ref_url, binder_launch_host, binder_request,
// binder_persistent_request. Clients close the stream on ready and failed. Comment lines
// (":keepalive") keep idle proxies from cutting the stream (BinderHub sends one every 25 s).
// Pure: formats; the route writes.
import type { LaunchProgressEvent } from "./launch-progress";

export type BinderPhase = "waiting" | "fetching" | "building" | "built" | "launching" | "ready" | "failed";

export interface BinderEvent {
  phase: BinderPhase;
  message: string;
  [field: string]: string;
}

/** Where the launched server is, for the "ready" event. */
export interface BinderReadyInfo {
  /** absolute URL of the server, ending in "/", e.g. https://hub.example.org/user/alice/requirements-1a2b3c4d/ */
  url: string;
  /** a token the proxy accepts for that server only (never the server's own token) */
  token: string;
  /** what the server runs: the environment key or the profile ("image" in BinderHub) */
  image: string;
  repoUrl: string;
  refUrl: string;
  /** the hub's public URL, ending in "/" */
  launchHost: string;
  /** "v2/<provider>/<spec>" as requested and with the resolved commit */
  request: string;
  persistentRequest: string;
}

export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  // nginx and similar proxies must not buffer the stream
  "x-accel-buffering": "no",
};

export const KEEPALIVE_INTERVAL_MS = 25_000;
export const KEEPALIVE_COMMENT = ":keepalive\n\n";

/**
 * BinderHub keeps the stream open a while after the last event: EventSource reconnects when the
 * server closes first, which would start another launch. Well-behaved clients close on ready.
 */
export const LINGER_AFTER_END_MS = 60_000;

/** The BinderHub event for a launch progress event. */
export function binderEventFor(event: LaunchProgressEvent): BinderEvent {
  const message = withNewline(event.message);
  switch (event.phase) {
    case "resolving":
      return { phase: "waiting", message };
    case "fetching":
      return { phase: "fetching", message };
    case "building":
      return event.cached !== undefined ? { phase: "built", message } : { phase: "building", message };
    case "waiting":
    case "starting":
      return { phase: "launching", message };
    case "failed":
      return { phase: "failed", message: event.logTail ? `${message}${withNewline(event.logTail)}` : message };
    case "ready":
      throw new Error("binderEventFor: use binderReadyEvent for the ready event");
  }
}

export function binderReadyEvent(info: BinderReadyInfo): BinderEvent {
  return {
    phase: "ready",
    message: `server running at ${info.url}\n`,
    image: info.image,
    repo_url: info.repoUrl,
    token: info.token,
    binder_ref_url: info.refUrl,
    binder_launch_host: info.launchHost,
    binder_request: info.request,
    binder_persistent_request: info.persistentRequest,
    url: info.url,
  };
}

/** One SSE message carrying `event` as its data line (JSON has no raw newlines, so one line). */
export function formatSseData(event: BinderEvent): string {
  return `data: ${JSON.stringify(event)}\n\n`;
}

/** BinderHub refuses requests that do not accept text/event-stream (400): a plain GET is a mistake. */
export function acceptsEventStream(acceptHeader: string | undefined): boolean {
  return (acceptHeader ?? "")
    .split(/[,;]/)
    .map((s) => s.trim().toLowerCase())
    .includes("text/event-stream");
}

function withNewline(s: string): string {
  return s.endsWith("\n") ? s : `${s}\n`;
}
