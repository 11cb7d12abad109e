"use client";
// A git-pull link, live: POST /hub/api/git-pull (the agent clones or merges as the user), then the
// default server's progress when it had to be started, then the link's urlpath in it.
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { hubFetch } from "../_components/hub-fetch";
import { Notice } from "../_components/ui";

interface PullOutcome {
  message: string;
  dir: string;
  state: "running" | "pending";
  progress_url: string;
  redirect: string;
}

type Step = "pulling" | "starting" | "ready" | "failed";

export function GitPullProgress({
  csrf,
  repo,
  branch,
  target,
  linkError,
}: {
  csrf: string;
  repo: string;
  branch: string;
  target: string;
  linkError: string | null;
}) {
  const [step, setStep] = useState<Step>(linkError ? "failed" : "pulling");
  const [message, setMessage] = useState<string | null>(linkError);
  const [log, setLog] = useState<string | null>(null);
  const started = useRef(false);

  useEffect(() => {
    if (linkError || started.current) return;
    started.current = true;
    let es: EventSource | null = null;
    void (async () => {
      const r = await hubFetch<PullOutcome & { log_tail?: string }>("/hub/api/git-pull", {
        method: "POST",
        body: { query: window.location.search.replace(/^\?/, "") },
        csrf,
      });
      if (!r.ok || !r.data) {
        setStep("failed");
        setMessage(r.message);
        const tail = (r.data as { log_tail?: string } | null)?.log_tail;
        if (tail) setLog(tail);
        return;
      }
      const out = r.data;
      setMessage(out.message);
      if (out.state === "running") {
        setStep("ready");
        window.location.assign(out.redirect);
        return;
      }
      setStep("starting");
      es = new EventSource(out.progress_url);
      es.onmessage = (m: MessageEvent<string>) => {
        const ev = JSON.parse(m.data) as { ready?: boolean; failed?: boolean; message?: string };
        if (ev.ready) {
          es?.close();
          setStep("ready");
          window.location.assign(out.redirect);
        } else if (ev.failed) {
          es?.close();
          setStep("failed");
          setMessage(`Pulled, but your server did not start: ${ev.message ?? "no reason recorded"}`);
        }
      };
    })();
    return () => es?.close();
  }, [linkError, csrf]);

  return (
    <div className="space-y-4">
      <h1 data-testid="git-pull-status" data-step={step} className="text-xl font-semibold">
        {step === "pulling" ? "Pulling the repository…" : step === "starting" ? "Starting your server…" : step === "ready" ? "Opening…" : "The pull failed"}
      </h1>
      <dl className="grid grid-cols-[8rem_1fr] gap-1 text-sm">
        <dt className="text-slate-500">Repository</dt>
        <dd className="break-all font-mono" data-testid="git-pull-repo">
          {repo}
        </dd>
        <dt className="text-slate-500">Branch</dt>
        <dd className="font-mono">{branch || "its default branch"}</dd>
        <dt className="text-slate-500">Into</dt>
        <dd className="font-mono" data-testid="git-pull-target">
          {target}
        </dd>
      </dl>
      <p className="text-sm text-slate-600">Your own changes are kept: upstream changes are merged in, and where both changed the same line, yours wins.</p>
      {message && (
        <Notice kind={step === "failed" ? "error" : "info"} testId={step === "failed" ? "git-pull-failed" : "git-pull-message"}>
          {message}
        </Notice>
      )}
      {log && (
        <pre
          data-testid="git-pull-log"
          className="max-h-72 overflow-auto whitespace-pre-wrap rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-xs"
        >
          {log}
        </pre>
      )}
      <Link href="/home" className="text-sm text-sky-700 underline">
        Back to home
      </Link>
    </div>
  );
}
