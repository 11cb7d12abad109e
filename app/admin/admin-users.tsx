"use client";
// The admin table and its actions. Every action calls the REST API and then refreshes the server-
// rendered data (router.refresh()); API error messages are shown verbatim.
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { hubFetch, serverApiPath } from "../_components/hub-fetch";
import { Card, Notice, StateBadge, buttonClass, inputClass, labelClass } from "../_components/ui";
import type { UserModel } from "../_lib/models";
import { JobDetailsView } from "../_components/job-details-view";

interface Props {
  users: UserModel[];
  viewer: string;
  csrf: string;
  minPasswordLength: number;
  /** the server's clock when the page was rendered (time left of batch jobs; the same on the client, so hydration matches) */
  nowMs: number;
  /** user name → their default server's URL (on their own origin in per-user mode) */
  serverUrls: Record<string, string>;
}

const TRANSITIONAL = new Set(["pending", "starting", "stopping"]);

function formatTime(iso: string | null): string {
  if (!iso) return "never";
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function AdminUsers({ users, viewer, csrf, minPasswordLength, nowMs, serverUrls }: Props) {
  const router = useRouter();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [info, setInfo] = useState("");

  // While any server is starting or stopping, keep the table fresh.
  const anyTransitional = users.some((u) => Object.values(u.servers).some((s) => TRANSITIONAL.has(s.state)));
  useEffect(() => {
    if (!anyTransitional) return;
    const t = setInterval(() => router.refresh(), 2000);
    return () => clearInterval(t);
  }, [anyTransitional, router]);

  const act = async (key: string, path: string, method: string, body: unknown, done: string) => {
    setBusy(key);
    setError("");
    setInfo("");
    const r = await hubFetch(path, { method, body, csrf });
    setBusy(null);
    if (!r.ok) {
      setError(r.message);
      return false;
    }
    setInfo(done);
    router.refresh();
    return true;
  };

  const userPath = (name: string) => `/hub/api/users/${encodeURIComponent(name)}`;

  const deleteUser = async (name: string) => {
    if (!window.confirm(`Delete user ${name}? Their servers are stopped and their tokens revoked.`)) return;
    await act(`delete:${name}`, userPath(name), "DELETE", undefined, `Deleted ${name}.`);
  };

  return (
    <div className="space-y-6">
      <AddUserForm
        minPasswordLength={minPasswordLength}
        busy={busy === "add"}
        onAdd={(name, password, admin) =>
          act("add", userPath(name.trim().toLowerCase()), "POST", password ? { password, admin } : { admin }, `Added ${name.trim().toLowerCase()}.`)
        }
      />

      <div aria-live="polite">
        {error && (
          <Notice kind="error" testId="admin-error">
            {error}
          </Notice>
        )}
        {!error && info && (
          <Notice kind="success" testId="admin-info">
            {info}
          </Notice>
        )}
      </div>

      <Card padded={false} className="overflow-x-auto">
        <table className="w-full min-w-[44rem] text-left text-sm" data-testid="users-table">
          <caption className="sr-only">Users</caption>
          <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th scope="col" className="px-4 py-2 font-medium">
                User
              </th>
              <th scope="col" className="px-4 py-2 font-medium">
                Admin
              </th>
              <th scope="col" className="px-4 py-2 font-medium">
                Server
              </th>
              <th scope="col" className="px-4 py-2 font-medium">
                Last activity
              </th>
              <th scope="col" className="px-4 py-2 font-medium">
                Actions
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => {
              const s = u.servers[""];
              const state = s?.state ?? "stopped";
              const running = state === "running";
              const active = running || TRANSITIONAL.has(state);
              const self = u.name === viewer;
              const named = Object.values(u.servers).filter((x) => x.name !== "" && x.state !== "stopped");
              return (
                <tr key={u.name} data-testid={`user-row-${u.name}`} className="border-b border-slate-100 align-middle last:border-0">
                  <th scope="row" className="px-4 py-3 font-medium text-slate-900">
                    {u.name}
                    {self && <span className="ml-1 text-xs font-normal text-slate-500">(you)</span>}
                  </th>
                  <td className="px-4 py-3">
                    <div className="flex items-center gap-2">
                      <span data-testid={`admin-flag-${u.name}`} className={u.admin ? "font-medium text-slate-900" : "text-slate-500"}>
                        {u.admin ? "Yes" : "No"}
                      </span>
                      {!(self && u.admin) && (
                        <button
                          type="button"
                          data-testid={`toggle-admin-${u.name}`}
                          aria-label={u.admin ? `Remove admin rights from ${u.name}` : `Make ${u.name} an admin`}
                          disabled={busy !== null}
                          onClick={() =>
                            void act(
                              `admin:${u.name}`,
                              userPath(u.name),
                              "PATCH",
                              { admin: !u.admin },
                              u.admin ? `${u.name} is no longer an admin.` : `${u.name} is now an admin.`,
                            )
                          }
                          className={buttonClass.small}
                        >
                          {u.admin ? "Revoke" : "Make admin"}
                        </button>
                      )}
                    </div>
                  </td>
                  <td className="px-4 py-3">
                    <StateBadge state={state} testId={`server-state-${u.name}`} />
                    {state === "failed" && s?.message && <span className="ml-2 text-xs text-red-700">{s.message}</span>}
                    {named.length > 0 && <span className="ml-2 text-xs text-slate-500">+{named.length} named</span>}
                    {s?.details?.job && <JobDetailsView job={s.details.job} nowMs={nowMs} testId={`job-details-${u.name}`} />}
                  </td>
                  <td className="px-4 py-3 text-slate-600">{formatTime(s?.last_activity ?? u.last_activity)}</td>
                  <td className="px-4 py-3">
                    <div className="flex flex-wrap items-center gap-2">
                      {!active ? (
                        <button
                          type="button"
                          data-testid={`start-server-${u.name}`}
                          aria-label={`Start ${u.name}'s server`}
                          disabled={busy !== null}
                          onClick={() => void act(`start:${u.name}`, serverApiPath(u.name, ""), "POST", {}, `Starting ${u.name}'s server.`)}
                          className={buttonClass.small}
                        >
                          Start server
                        </button>
                      ) : (
                        <button
                          type="button"
                          data-testid={`stop-server-${u.name}`}
                          aria-label={`Stop ${u.name}'s server`}
                          disabled={busy !== null || state === "stopping"}
                          onClick={() => void act(`stop:${u.name}`, serverApiPath(u.name, ""), "DELETE", undefined, `Stopping ${u.name}'s server.`)}
                          className={buttonClass.small}
                        >
                          {state === "stopping" ? "Stopping…" : "Stop server"}
                        </button>
                      )}
                      {running && (
                        <a
                          href={`${serverUrls[u.name]}tree`}
                          data-testid={`open-server-${u.name}`}
                          aria-label={`Open ${u.name}'s server`}
                          className="text-xs font-medium text-sky-700 underline"
                        >
                          Open
                        </a>
                      )}
                      <button
                        type="button"
                        data-testid={`revoke-sessions-${u.name}`}
                        aria-label={`Log ${u.name} out everywhere (revoke all sessions)`}
                        disabled={busy !== null}
                        onClick={() => {
                          if (window.confirm(`Log ${u.name} out everywhere? All their sessions are revoked${self ? ", including this one" : ""}.`))
                            void act(`sessions:${u.name}`, `${userPath(u.name)}/sessions`, "DELETE", undefined, `Revoked all sessions of ${u.name}.`);
                        }}
                        className={buttonClass.small}
                      >
                        Revoke sessions
                      </button>
                      {!self && (
                        <button
                          type="button"
                          data-testid={`delete-user-${u.name}`}
                          aria-label={`Delete user ${u.name}`}
                          disabled={busy !== null}
                          onClick={() => void deleteUser(u.name)}
                          className={buttonClass.smallDanger}
                        >
                          Delete
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Card>
    </div>
  );
}

function AddUserForm({
  onAdd,
  busy,
  minPasswordLength,
}: {
  onAdd: (name: string, password: string, admin: boolean) => Promise<boolean>;
  busy: boolean;
  minPasswordLength: number;
}) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [admin, setAdmin] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await onAdd(name, password, admin)) {
      setName("");
      setPassword("");
      setAdmin(false);
    }
  };
  return (
    <Card>
      <h2 className="text-lg font-semibold">Add a user</h2>
      <form onSubmit={(e) => void submit(e)} data-testid="add-user-form" className="mt-4 grid items-start gap-4 sm:grid-cols-[1fr_1fr_auto_auto]">
        <div>
          <label htmlFor="new-user-name" className={labelClass}>
            User name
          </label>
          <input
            id="new-user-name"
            name="username"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoCapitalize="none"
            spellCheck={false}
            autoComplete="off"
            className={inputClass}
          />
        </div>
        <div>
          <label htmlFor="new-user-password" className={labelClass}>
            Password
          </label>
          <input
            id="new-user-password"
            name="password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="new-password"
            aria-describedby="new-user-password-hint"
            className={inputClass}
          />
          <p id="new-user-password-hint" className="mt-1 text-xs text-slate-500">
            At least {minPasswordLength} characters; leave empty for users who sign in another way.
          </p>
        </div>
        <div className="flex items-center gap-2 sm:mt-8">
          <input
            id="new-user-admin"
            name="admin"
            type="checkbox"
            checked={admin}
            onChange={(e) => setAdmin(e.target.checked)}
            className="h-4 w-4 rounded border-slate-300"
          />
          <label htmlFor="new-user-admin" className="text-sm text-slate-700">
            Admin
          </label>
        </div>
        <div className="sm:mt-6">
          <button type="submit" data-testid="add-user-submit" disabled={busy} className={buttonClass.primary}>
            {busy ? "Adding…" : "Add user"}
          </button>
        </div>
      </form>
    </Card>
  );
}
