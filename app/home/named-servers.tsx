"use client";
// Named servers on the home page: create one (a name, then the spawn form's choices when the hub
// offers any), and start, stop or delete each.
import { useRouter } from "next/navigation";
import { useCallback, useState, type FormEvent } from "react";
import { hubFetch, serverApiPath, spawnPendingPath } from "@/app/_components/hub-fetch";
import { Notice, buttonClass, inputClass, labelClass } from "@/app/_components/ui";
import { useStopServer } from "@/app/_components/use-stop-server";

const spawnFormPath = (user: string, server: string) => `/spawn/${encodeURIComponent(user)}/${encodeURIComponent(server)}`;

export function NewNamedServerForm({ user, csrf, startWithForm, left }: { user: string; csrf: string; startWithForm: boolean; left: number }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    const server = name.trim().toLowerCase();
    if (startWithForm) {
      router.push(spawnFormPath(user, server));
      return;
    }
    setBusy(true);
    const r = await hubFetch(serverApiPath(user, server), { method: "POST", body: {}, csrf });
    setBusy(false);
    if (!r.ok) return setError(r.message);
    router.push(spawnPendingPath(user, server));
  };
  if (left <= 0) return <p className="mt-4 text-sm text-slate-600">You have as many named servers as you may. Delete one to make another.</p>;
  return (
    <form onSubmit={(e) => void submit(e)} data-testid="new-named-server" className="mt-4 flex flex-wrap items-end gap-2">
      <div>
        <label htmlFor="new-server-name" className={labelClass}>
          New named server
        </label>
        <input
          id="new-server-name"
          required
          pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*"
          maxLength={255 /* NAME_MAX_LENGTH (app/_lib/users/names.ts); the hub checks the full rule */}
          title="letters, digits, '.', '_' or '-'; no '..'; at most 255"
          value={name}
          onChange={(e) => setName(e.target.value)}
          autoCapitalize="none"
          spellCheck={false}
          placeholder="e.g. analysis"
          className={inputClass}
        />
      </div>
      <button type="submit" data-testid="new-named-server-submit" disabled={busy} className={buttonClass.primary}>
        {startWithForm ? "Choose options and start" : "Create and start"}
      </button>
      <span className="text-xs text-slate-500">{left} more allowed</span>
      {error && (
        <div className="w-full">
          <Notice kind="error" testId="named-server-error">
            {error}
          </Notice>
        </div>
      )}
    </form>
  );
}

export function NamedServerActions({
  user,
  server,
  state,
  csrf,
  startWithForm,
}: {
  user: string;
  server: string;
  state: string;
  csrf: string;
  startWithForm: boolean;
}) {
  const router = useRouter();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const refresh = useCallback(() => router.refresh(), [router]);
  // Stop waits until the server is really stopped, then shows it (Delete needs it stopped).
  const { stop, stopping, error: stopError } = useStopServer({ user, server, csrf, onStopped: refresh });
  const active = ["pending", "starting", "running", "stopping"].includes(state);
  const call = async (method: string, body?: unknown, then?: string) => {
    setBusy(true);
    setError("");
    const r = await hubFetch(serverApiPath(user, server), { method, body, csrf });
    setBusy(false);
    if (!r.ok) return setError(r.message);
    if (then) router.push(then);
    else router.refresh();
  };
  return (
    <span className="inline-flex flex-wrap items-center gap-1">
      {!active &&
        (startWithForm ? (
          <button type="button" data-testid={`start-named-${server}`} onClick={() => router.push(spawnFormPath(user, server))} className={buttonClass.small}>
            Start
          </button>
        ) : (
          <button
            type="button"
            data-testid={`start-named-${server}`}
            disabled={busy}
            onClick={() => void call("POST", {}, spawnPendingPath(user, server))}
            className={buttonClass.small}
          >
            Start
          </button>
        ))}
      {active && state !== "stopping" && (
        <button type="button" data-testid={`stop-named-${server}`} disabled={busy || stopping} onClick={() => void stop()} className={buttonClass.small}>
          {stopping ? "Stopping…" : "Stop"}
        </button>
      )}
      {!active && (
        <button
          type="button"
          data-testid={`delete-named-${server}`}
          disabled={busy}
          onClick={() => {
            if (window.confirm(`Delete the server ${server}? Its settings go; your files stay.`)) void call("DELETE", { remove: true });
          }}
          className={buttonClass.smallDanger}
        >
          Delete
        </button>
      )}
      {(error || stopError) && (
        <span role="alert" className="text-xs text-red-700">
          {error || stopError}
        </span>
      )}
    </span>
  );
}
