"use client";
// Starts a server, then hands over to the progress page.
import { useRouter } from "next/navigation";
import { useState } from "react";
import { hubFetch, serverApiPath, spawnPendingPath } from "@/app/_components/hub-fetch";
import { Notice, buttonClass } from "@/app/_components/ui";

export function StartButton({ user, server, csrf, next, label }: { user: string; server: string; csrf: string; next: string | null; label: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const start = async () => {
    setError("");
    setBusy(true);
    const r = await hubFetch(serverApiPath(user, server), { method: "POST", body: {}, csrf });
    // "already running" is not an error here: the progress page goes straight to the server.
    if (r.ok || (r.status === 400 && /already has a server running/.test(r.message))) {
      router.push(`${spawnPendingPath(user, server)}${next ? `?next=${encodeURIComponent(next)}` : ""}`);
      return;
    }
    setBusy(false);
    setError(r.message);
  };
  return (
    <>
      <button type="button" data-testid="start-server" onClick={() => void start()} disabled={busy} className={buttonClass.primary}>
        {busy ? "Starting…" : label}
      </button>
      {error && (
        <div className="basis-full">
          <Notice kind="error" testId="start-error">
            {error}
          </Notice>
        </div>
      )}
    </>
  );
}
