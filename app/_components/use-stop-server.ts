"use client";
// Stop a server and wait until it is really gone: DELETE answers 202 while the spawner stops it,
// so we poll the user model every second until the server is absent, stopped or failed.
import { useCallback, useEffect, useRef, useState } from "react";
import { hubFetch, serverApiPath } from "./hub-fetch";
import type { UserModel } from "../_lib/models";

const POLL_MS = 1000;

export function useStopServer(opts: { user: string; server: string; csrf: string; onStopped: () => void }) {
  const { user, server, csrf, onStopped } = opts;
  const [stopping, setStopping] = useState(false);
  const [error, setError] = useState("");
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const waitUntilGone = useCallback(async () => {
    setStopping(true);
    while (alive.current) {
      const r = await hubFetch<UserModel>(`/hub/api/users/${encodeURIComponent(user)}`);
      if (!alive.current) return;
      if (r.ok && r.data) {
        const s = r.data.servers[server];
        if (!s || s.state === "stopped" || s.state === "failed") break;
      } else if (r.status !== 0) {
        setError(r.message);
        break;
      }
      await new Promise((res) => setTimeout(res, POLL_MS));
    }
    if (!alive.current) return;
    setStopping(false);
    onStopped();
  }, [user, server, onStopped]);

  const stop = useCallback(async () => {
    setError("");
    setStopping(true);
    const r = await hubFetch(serverApiPath(user, server), { method: "DELETE", csrf });
    if (!r.ok) {
      setStopping(false);
      setError(r.message);
      return;
    }
    await waitUntilGone();
  }, [user, server, csrf, waitUntilGone]);

  return { stop, waitUntilGone, stopping, error, setError };
}
