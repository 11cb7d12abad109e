"use client";
// A launch, live: POST /hub/api/launches (resolves the ref, records the launch, requests its named
// server), then the server's progress stream (with each event's launch step), then the notebook.
// The POST carries the session's CSRF token: opening this page starts nothing by itself unless
// this script runs in the hub's own origin.
import Link from "next/link";
import { useCallback, useEffect, useRef, useState } from "react";
import { hubFetch } from "@/app/_components/hub-fetch";
import { Notice, buttonClass } from "@/app/_components/ui";
import { buildPhaseRows, type PhaseRow, type ViewEvent } from "@/app/_lib/launch/launch-view";
import type { LaunchModel } from "@/app/_lib/launch/launch-routes";

export interface LaunchProgressProps {
  user: string;
  csrf: string;
  /** "org/repo @ ref", for the heading */
  repo: string;
  /** the link was refused before anything started (bad link, not allowed, launches off) */
  linkError: { status: number; message: string } | null;
}

type Outcome = "running" | "ready" | "failed";

interface StreamEvent {
  progress?: number;
  message?: string;
  phase?: string;
  cached?: boolean;
  ready?: boolean;
  failed?: boolean;
}

const PREFIX = "/hub/launch/v2/";

export function LaunchProgress({ user, csrf, repo, linkError }: LaunchProgressProps) {
  const [events, setEvents] = useState<ViewEvent[]>([{ phase: "resolving", message: `Resolving ${repo}` }]);
  const [outcome, setOutcome] = useState<Outcome>(linkError ? "failed" : "running");
  const [reason, setReason] = useState<string | null>(linkError?.message ?? null);
  const [log, setLog] = useState<string | null>(null);
  const [progress, setProgress] = useState(0);
  const [launch, setLaunch] = useState<LaunchModel | null>(null);
  const started = useRef(false);

  const fail = useCallback(
    async (message: string | null, server: string | null) => {
      setOutcome("failed");
      setReason(message);
      if (!server) return;
      const r = await hubFetch<{ log: string | null }>(`/hub/api/users/${encodeURIComponent(user)}/server/log?server=${encodeURIComponent(server)}`);
      if (r.ok) setLog(r.data?.log ?? null);
    },
    [user],
  );

  const follow = useCallback(
    (l: LaunchModel) => {
      const es = new EventSource(l.progress_url);
      // every (re)connection replays the spawn's events from the start
      es.onopen = () => setEvents([{ phase: "resolving", message: `Resolved ${l.ref} to ${l.commit.slice(0, 12)}` }]);
      es.onmessage = (m: MessageEvent<string>) => {
        let ev: StreamEvent;
        try {
          ev = JSON.parse(m.data) as StreamEvent;
        } catch {
          return;
        }
        if (typeof ev.progress === "number") setProgress(Math.max(0, Math.min(100, ev.progress)));
        if (ev.ready) {
          es.close();
          setOutcome("ready");
          window.location.assign(l.redirect);
        } else if (ev.failed) {
          es.close();
          void fail(ev.message ?? null, l.server);
        } else if (ev.message) {
          setEvents((list) => [
            ...list,
            { message: ev.message ?? "", ...(ev.phase ? { phase: ev.phase } : {}), ...(ev.cached !== undefined ? { cached: ev.cached } : {}) },
          ]);
        }
      };
      es.onerror = () => {
        if (es.readyState === EventSource.CLOSED) void fail("The hub stopped sending the launch's progress; reload the page to see where it is.", l.server);
      };
      return es;
    },
    [fail],
  );

  useEffect(() => {
    if (linkError || started.current) return;
    started.current = true;
    let es: EventSource | null = null;
    void (async () => {
      const link = window.location.pathname.startsWith(PREFIX) ? window.location.pathname.slice(PREFIX.length) : "";
      const r = await hubFetch<LaunchModel>("/hub/api/launches", { method: "POST", body: { link, query: window.location.search.replace(/^\?/, "") }, csrf });
      if (!r.ok || !r.data) {
        await fail(r.message, null);
        return;
      }
      setLaunch(r.data);
      if (r.data.state === "running") {
        setOutcome("ready");
        window.location.assign(r.data.redirect);
        return;
      }
      es = follow(r.data);
    })();
    return () => es?.close();
  }, [linkError, csrf, fail, follow]);

  const rows = buildPhaseRows(events, outcome);
  const building = events.filter((e) => e.phase === "building");
  const heading = outcome === "ready" ? "Ready; opening the notebook…" : outcome === "failed" ? "The launch failed" : `Launching ${repo}`;

  return (
    <div className="space-y-5">
      <h1 data-testid="launch-status" data-outcome={outcome} aria-live="polite" className="text-xl font-semibold">
        {heading}
      </h1>
      <p className="text-sm text-slate-600">
        <span data-testid="launch-repo">{repo}</span>
        {launch && (
          <>
            {" · commit "}
            <a href={launch.ref_url} className="font-mono text-sky-700 underline" data-testid="launch-commit">
              {launch.commit.slice(0, 12)}
            </a>
            {" · server "}
            <span className="font-mono" data-testid="launch-server">
              {launch.server}
            </span>
          </>
        )}
      </p>

      {outcome === "running" && (
        <div
          role="progressbar"
          aria-label="Launch progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={progress}
          className="h-3 w-full overflow-hidden rounded-full bg-slate-200"
        >
          <div className="h-full rounded-full bg-sky-600 transition-[width] duration-500 ease-out" style={{ width: `${progress}%` }} />
        </div>
      )}

      <ol data-testid="launch-phases" className="space-y-2">
        {rows.map((row) => (
          <PhaseItem key={row.phase} row={row} />
        ))}
      </ol>

      {outcome === "failed" && (
        <Notice kind="error" testId="launch-failed">
          <strong className="font-semibold">Reason: </strong>
          {reason ?? "The hub did not record a reason; an admin can check the hub's log."}
        </Notice>
      )}
      {outcome === "ready" && launch && (
        <p className="text-sm">
          If nothing happens,{" "}
          <a href={launch.redirect} data-testid="launch-open" className="font-medium text-sky-700 underline">
            open the notebook
          </a>
          .
        </p>
      )}

      {building.length > 0 && (
        <details open={outcome !== "ready"} className="rounded-md border border-slate-200 bg-slate-50">
          <summary className="cursor-pointer px-3 py-2 text-sm font-medium text-slate-700">Environment log</summary>
          <pre
            data-testid="launch-build-log"
            className="max-h-72 overflow-auto whitespace-pre-wrap break-words border-t border-slate-200 px-3 py-2 font-mono text-xs text-slate-800"
          >
            {building.map((e) => e.message).join("\n")}
          </pre>
        </details>
      )}
      {outcome === "failed" && log && (
        <details open className="rounded-md border border-slate-200 bg-slate-50">
          <summary className="cursor-pointer px-3 py-2 text-sm font-medium text-slate-700">Last lines of the log</summary>
          <pre
            data-testid="launch-log"
            className="max-h-96 overflow-auto whitespace-pre-wrap break-words border-t border-slate-200 px-3 py-2 font-mono text-xs text-slate-800"
          >
            {log}
          </pre>
        </details>
      )}

      <div className="flex flex-wrap items-center gap-3">
        {outcome === "failed" && !linkError && (
          <button type="button" data-testid="launch-retry" onClick={() => window.location.reload()} className={buttonClass.primary}>
            Try again
          </button>
        )}
        <Link href="/home" className="text-sm text-sky-700 underline">
          Back to home
        </Link>
      </div>
    </div>
  );
}

const MARK: Record<PhaseRow["state"], string> = { pending: "○", active: "◐", done: "●", failed: "✕" };
const TONE: Record<PhaseRow["state"], string> = { pending: "text-slate-400", active: "text-sky-700", done: "text-emerald-700", failed: "text-red-700" };

function PhaseItem({ row }: { row: PhaseRow }) {
  return (
    <li
      data-testid={`launch-phase-${row.phase}`}
      data-state={row.state}
      {...(row.environment ? { "data-environment": row.environment } : {})}
      className="flex gap-3 text-sm"
    >
      <span aria-hidden className={`w-4 text-center ${TONE[row.state]}`}>
        {MARK[row.state]}
      </span>
      <span className="flex-1">
        <span className={`font-medium ${row.state === "pending" ? "text-slate-500" : "text-slate-800"}`}>{row.label}</span>
        {row.environment && (
          <span data-testid="launch-environment" className="ml-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">
            {row.environment === "reused" ? "reused from an earlier launch: nothing to build" : "built"}
          </span>
        )}
        {row.message && row.state !== "pending" && <span className="block truncate text-xs text-slate-500">{row.message}</span>}
        <span className="sr-only"> ({row.state})</span>
      </span>
    </li>
  );
}
