"use client";
// Start / stop controls and live status of one server on the home page.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useState } from "react";
import { hubFetch, serverApiPath, spawnPendingPath } from "../_components/hub-fetch";
import { useStopServer } from "../_components/use-stop-server";
import { Notice, StateBadge, buttonClass } from "../_components/ui";

export interface ServerPanelProps {
  user: string;
  server: string;
  state: string;
  message: string | null;
  logTail: string | null;
  csrf: string;
  /** the spawner offers choices: Start opens the spawn form (/hub/spawn/<user>) */
  startWithForm?: boolean;
  /** the server's URL, "…/user/<name>/[<server>/]": on the user's own origin in per-user mode */
  serverUrl: string;
}

function statusText(state: string, message: string | null): string {
  switch (state) {
    case "running":
      return "Your server is running.";
    case "pending":
    case "starting":
      return "Your server is starting…";
    case "stopping":
      return "Stopping…";
    case "failed":
      return `Your server failed to start${message ? `: ${message}` : "."}`;
    default:
      return message ? `Your server is not running (${message}).` : "Your server is not running.";
  }
}

export function ServerPanel({ user, server, state, message, logTail, csrf, startWithForm = false, serverUrl }: ServerPanelProps) {
  const router = useRouter();
  const refresh = useCallback(() => router.refresh(), [router]);
  const { stop, waitUntilGone, stopping, error: stopError } = useStopServer({ user, server, csrf, onStopped: refresh });
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState("");

  // Opened while a stop was already under way: keep watching it.
  useEffect(() => {
    if (state === "stopping") void waitUntilGone();
  }, [state, waitUntilGone]);

  const start = async () => {
    setStartError("");
    setStarting(true);
    const r = await hubFetch(serverApiPath(user, server), { method: "POST", body: {}, csrf });
    if (r.ok) {
      router.push(spawnPendingPath(user, server));
      return;
    }
    setStarting(false);
    if (r.status === 400 && /already has a server running/.test(r.message)) refresh();
    else setStartError(r.message);
  };

  const shown = stopping ? "stopping" : starting ? "pending" : state;
  const error = startError || stopError;
  const running = shown === "running";
  const pending = shown === "pending" || shown === "starting";
  const canStart = shown === "stopped" || shown === "failed";

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <StateBadge state={shown} testId="server-state" />
        <p data-testid="server-status" data-state={shown} aria-live="polite" className="text-sm text-slate-700">
          {statusText(shown, state === "failed" && !starting ? message : shown === "stopped" ? message : null)}
        </p>
      </div>
      {error && (
        <Notice kind="error" testId="server-error">
          {error}
        </Notice>
      )}
      <div className="flex flex-wrap items-center gap-3">
        {canStart && startWithForm && (
          <Link
            href={`/spawn/${encodeURIComponent(user)}${server ? `/${encodeURIComponent(server)}` : ""}`}
            data-testid="start-server"
            className={buttonClass.primary}
          >
            Start my server…
          </Link>
        )}
        {canStart && !startWithForm && (
          <button type="button" data-testid="start-server" onClick={() => void start()} disabled={starting} className={buttonClass.primary}>
            {starting ? "Starting…" : "Start my server"}
          </button>
        )}
        {running && (
          // A full page load: /user/… is served by the proxy, not by Next.
          <a href={`${serverUrl}tree`} data-testid="open-server" className={buttonClass.primary}>
            My server
          </a>
        )}
        {pending && !starting && (
          <Link href={spawnPendingPath(user, server)} data-testid="show-progress" className={buttonClass.secondary}>
            Show start-up progress
          </Link>
        )}
        {(running || (pending && !starting) || stopping) && (
          <button type="button" data-testid="stop-server" onClick={() => void stop()} disabled={stopping} className={buttonClass.danger}>
            {stopping ? "Stopping…" : "Stop my server"}
          </button>
        )}
      </div>
      {state === "failed" && logTail && !starting && (
        <details data-testid="server-log" className="rounded-md border border-slate-200 bg-slate-50">
          <summary className="cursor-pointer px-3 py-2 text-sm font-medium text-slate-700">Show log</summary>
          <pre className="max-h-96 overflow-auto whitespace-pre-wrap break-words border-t border-slate-200 px-3 py-2 font-mono text-xs text-slate-800">
            {logTail}
          </pre>
        </details>
      )}
    </div>
  );
}
