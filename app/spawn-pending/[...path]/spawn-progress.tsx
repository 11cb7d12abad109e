"use client";
// Live progress of a spawn, fed by the hub's event stream (JupyterHub's format):
// {progress, message} …, then {ready: true, url} or {failed: true, message}.
import Link from "next/link";
import { useCallback, useEffect, useRef, useState } from "react";
import { hubFetch, serverApiPath } from "@/app/_components/hub-fetch";
import { useStopServer } from "@/app/_components/use-stop-server";
import { Notice, buttonClass } from "@/app/_components/ui";
import type { UserModel } from "@/app/_lib/models";
import { JobDetailsView } from "@/app/_components/job-details-view";
import type { JobDetails } from "@/spawners/types";

type Phase = "pending" | "ready" | "failed" | "stopped";

interface ProgressEvent {
  progress?: number;
  message?: string;
  ready?: boolean;
  failed?: boolean;
  stopped?: boolean;
  url?: string;
}

export interface SpawnProgressProps {
  user: string;
  server: string;
  own: boolean;
  csrf: string;
  /** where to go once the server is ready (its tree, or a validated ?next) */
  target: string;
  initialState: string;
  initialMessage: string | null;
  initialLog: string | null;
  initialEvents: { progress: number; message: string }[];
  /** options of the last start; "Try again" sends them again */
  lastOptions: Record<string, unknown>;
}

function initialPhase(state: string): Phase {
  if (state === "pending" || state === "starting") return "pending";
  if (state === "running") return "ready";
  if (state === "failed") return "failed";
  return "stopped";
}

export function SpawnProgress(props: SpawnProgressProps) {
  const { user, server, own, csrf, target } = props;
  const [phase, setPhase] = useState<Phase>(initialPhase(props.initialState));
  const [progress, setProgress] = useState(0);
  const [events, setEvents] = useState<{ progress: number; message: string }[]>(props.initialEvents);
  const [reason, setReason] = useState<string | null>(props.initialMessage);
  const [log, setLog] = useState<string | null>(props.initialLog);
  const [actionError, setActionError] = useState("");
  const [attempt, setAttempt] = useState(0);
  const [retrying, setRetrying] = useState(false);
  const source = useRef<EventSource | null>(null);
  const [job, setJob] = useState<{ job: JobDetails; nowMs: number } | null>(null);
  const api = serverApiPath(user, server);
  const who = own ? "Your server" : `${user}'s server`;
  const title = server ? `${who} "${server}"` : who;

  const fetchLog = useCallback(async () => {
    const r = await hubFetch<{ log: string | null }>(
      `/hub/api/users/${encodeURIComponent(user)}/server/log${server ? `?server=${encodeURIComponent(server)}` : ""}`,
    );
    if (r.ok) setLog(r.data?.log ?? null);
  }, [user, server]);

  const fail = useCallback(
    (message: string | null) => {
      setPhase("failed");
      setReason(message);
      void fetchLog();
    },
    [fetchLog],
  );

  // The stream closed without a final event (404 because nothing is pending, or we lost the
  // session): ask the REST API what became of the server.
  const settleFromModel = useCallback(async () => {
    const r = await hubFetch<UserModel>(`/hub/api/users/${encodeURIComponent(user)}?include_stopped_servers`);
    const s = r.ok ? r.data?.servers[server] : undefined;
    if (s?.state === "running") {
      setPhase("ready");
      window.location.assign(target);
    } else if (s?.state === "failed") fail(s.message);
    else if (s && (s.state === "pending" || s.state === "starting"))
      setTimeout(() => setAttempt((n) => n + 1), 1000); // still starting: reconnect
    else {
      setPhase("stopped");
      setReason(r.ok ? (s?.message ?? null) : r.message);
    }
  }, [user, server, target, fail]);

  useEffect(() => {
    if (phase !== "pending") return;
    const url = `${api}/progress`;
    const es = new EventSource(url);
    source.current = es;
    // Every (re)connection replays the spawn's events from the start.
    es.onopen = () => setEvents([]);
    es.onmessage = (e: MessageEvent<string>) => {
      let ev: ProgressEvent;
      try {
        ev = JSON.parse(e.data) as ProgressEvent;
      } catch {
        return;
      }
      if (typeof ev.progress === "number") setProgress(Math.max(0, Math.min(100, ev.progress)));
      if (ev.message) setEvents((list) => [...list, { progress: ev.progress ?? 0, message: ev.message ?? "" }]);
      if (ev.ready) {
        es.close();
        setPhase("ready");
        window.location.assign(target);
      } else if (ev.failed) {
        es.close();
        if (ev.stopped) {
          setPhase("stopped");
          setReason(ev.message ?? null);
        } else fail(ev.message ?? null);
      }
    };
    es.onerror = () => {
      // CONNECTING: the browser retries by itself. CLOSED: the hub refused the stream.
      if (es.readyState === EventSource.CLOSED) void settleFromModel();
    };
    return () => {
      es.close();
      source.current = null;
    };
  }, [phase, attempt, api, target, fail, settleFromModel]);

  // The batch job behind the spawn (id, queue reason, estimated start): the hub stores it with each
  // event, so read it shortly after one, and every 10 s while the job waits without news.
  const eventCount = events.length;
  useEffect(() => {
    if (phase !== "pending") return;
    let cancelled = false;
    const load = async () => {
      const r = await hubFetch<UserModel>(`/hub/api/users/${encodeURIComponent(user)}`);
      const found = r.ok ? r.data?.servers[server]?.details?.job : undefined;
      if (!cancelled && found) setJob({ job: found, nowMs: Date.now() });
    };
    const soon = setTimeout(() => void load(), 500);
    const every = setInterval(() => void load(), 10_000);
    return () => {
      cancelled = true;
      clearTimeout(soon);
      clearInterval(every);
    };
  }, [phase, eventCount, user, server]);

  const onStopped = useCallback(() => {
    source.current?.close();
    setPhase("stopped");
    setReason("The start was cancelled.");
  }, []);
  const { stop, stopping, error: stopError } = useStopServer({ user, server, csrf, onStopped });

  const retry = async () => {
    setActionError("");
    setRetrying(true);
    const r = await hubFetch(api, { method: "POST", body: props.lastOptions, csrf });
    setRetrying(false);
    if (!r.ok && !(r.status === 400 && /already has a server running/.test(r.message))) {
      setActionError(r.message);
      return;
    }
    setProgress(0);
    setEvents([]);
    setReason(null);
    setLog(null);
    setPhase("pending");
    setAttempt((n) => n + 1);
  };

  const error = actionError || stopError;
  const heading =
    phase === "ready"
      ? `${title} is ready; opening it…`
      : phase === "failed"
        ? `${title} failed to start`
        : phase === "stopped"
          ? `${title} is not running`
          : stopping
            ? "Cancelling…"
            : `Starting ${own ? "your server" : `${user}'s server`}${server ? ` "${server}"` : ""}…`;

  return (
    <div className="space-y-5">
      <h1 data-testid="spawn-status" data-phase={phase} aria-live="polite" className="text-xl font-semibold">
        {heading}
      </h1>

      {(phase === "pending" || phase === "ready") && (
        <div>
          <div
            role="progressbar"
            aria-label="Server start-up progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={progress}
            data-testid="spawn-progress"
            className="h-3 w-full overflow-hidden rounded-full bg-slate-200"
          >
            <div className="h-full rounded-full bg-sky-600 transition-[width] duration-500 ease-out" style={{ width: `${progress}%` }} />
          </div>
          <p className="mt-1 text-right text-xs text-slate-500">{progress}%</p>
        </div>
      )}

      {phase === "pending" && job && <JobDetailsView job={job.job} nowMs={job.nowMs} />}

      {phase === "ready" && (
        <p className="text-sm">
          If nothing happens,{" "}
          <a href={target} data-testid="open-server" className="font-medium text-sky-700 underline">
            open the server
          </a>
          .
        </p>
      )}

      {phase === "failed" && (
        <Notice kind="error" testId="spawn-failed">
          <strong className="font-semibold">Reason: </strong>
          {reason ?? "The hub did not record a reason; an admin can check the hub's log."}
        </Notice>
      )}
      {phase === "stopped" && reason && (
        <Notice kind="info" testId="spawn-stopped">
          {reason}
        </Notice>
      )}
      {error && (
        <Notice kind="error" testId="spawn-action-error">
          {error}
        </Notice>
      )}

      {phase === "failed" && log && (
        <details open className="rounded-md border border-slate-200 bg-slate-50" data-testid="spawn-log">
          <summary className="cursor-pointer px-3 py-2 text-sm font-medium text-slate-700">Last lines of the server&apos;s log</summary>
          <pre className="max-h-96 overflow-auto whitespace-pre-wrap break-words border-t border-slate-200 px-3 py-2 font-mono text-xs text-slate-800">
            {log}
          </pre>
        </details>
      )}

      <div className="flex flex-wrap items-center gap-3">
        {phase === "pending" && (
          <button type="button" data-testid="cancel-spawn" onClick={() => void stop()} disabled={stopping} className={buttonClass.danger}>
            {stopping ? "Cancelling…" : "Cancel"}
          </button>
        )}
        {(phase === "failed" || phase === "stopped") && (
          <button type="button" data-testid="spawn-retry" onClick={() => void retry()} disabled={retrying} className={buttonClass.primary}>
            {retrying ? "Starting…" : phase === "failed" ? "Try again" : "Start it"}
          </button>
        )}
        <Link href="/home" data-testid="spawn-home" className="text-sm text-sky-700 underline">
          Back to home
        </Link>
      </div>

      <section aria-labelledby="spawn-events-heading">
        <h2 id="spawn-events-heading" className="text-sm font-medium text-slate-700">
          Events
        </h2>
        <ol
          data-testid="spawn-events"
          aria-live="polite"
          aria-relevant="additions"
          className="mt-2 max-h-64 space-y-1 overflow-auto rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-xs text-slate-700"
        >
          {events.length === 0 ? (
            <li className="text-slate-400">{phase === "pending" ? "Waiting for the first event…" : "No events."}</li>
          ) : (
            events.map((ev, i) => (
              <li key={i}>
                <span className="inline-block w-10 text-right text-slate-400">{ev.progress}%</span> {ev.message}
              </li>
            ))
          )}
        </ol>
      </section>
    </div>
  );
}
