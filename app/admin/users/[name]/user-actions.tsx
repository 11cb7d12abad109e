"use client";
// The user page's actions, through the REST API: edit (rename, admin, block, named-server limit),
// a password reset link, ending every session, deleting the account, and each server's start,
// stop and delete. Destructive actions ask first; every control is a native one (keyboard works).
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { hubFetch, serverApiPath } from "@/app/_components/hub-fetch";
import { Notice, buttonClass, inputClass, labelClass } from "@/app/_components/ui";

const userApi = (user: string) => `/hub/api/users/${encodeURIComponent(user)}`;
const adminUserApi = (user: string) => `/hub/api/admin/users/${encodeURIComponent(user)}`;

function Feedback({ error, info }: { error: string; info: string }) {
  return (
    <div aria-live="polite" className="mt-3 empty:hidden">
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
  );
}

export function AccountActions({ user, csrf, self, canReset }: { user: string; csrf: string; self: boolean; canReset: boolean }) {
  const router = useRouter();
  const [error, setError] = useState("");
  const [info, setInfo] = useState("");
  const [link, setLink] = useState("");
  const [busy, setBusy] = useState(false);
  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError("");
    setInfo("");
    try {
      await fn();
    } finally {
      setBusy(false);
    }
  };
  const resetLink = () =>
    act(async () => {
      const r = await hubFetch<{ url: string }>(`${adminUserApi(user)}/reset-link`, { method: "POST", csrf });
      if (!r.ok || !r.data) return setError(r.message);
      setLink(r.data.url);
      setInfo(`A one-time link for ${user} to set a new password. Send it to them; it works once.`);
    });
  const revoke = () =>
    act(async () => {
      if (!window.confirm(`End every session of ${user}? They will have to sign in again.`)) return;
      const r = await hubFetch(`${userApi(user)}/sessions`, { method: "DELETE", csrf });
      if (!r.ok) return setError(r.message);
      setInfo(`Revoked all sessions of ${user}.`);
      router.refresh();
    });
  const remove = () =>
    act(async () => {
      if (!window.confirm(`Delete ${user}? Their servers are stopped, and their account, tokens and group memberships are removed. This cannot be undone.`))
        return;
      const r = await hubFetch(userApi(user), { method: "DELETE", csrf });
      if (!r.ok) {
        setError(r.message);
        router.refresh();
        return;
      }
      router.push(`/admin?deleted=${encodeURIComponent(user)}`);
    });
  return (
    <div>
      <div className="flex flex-wrap gap-2">
        {canReset && (
          <button type="button" data-testid={`reset-link-${user}`} disabled={busy} onClick={() => void resetLink()} className={buttonClass.secondary}>
            Password reset link
          </button>
        )}
        <button type="button" data-testid={`revoke-sessions-${user}`} disabled={busy} onClick={() => void revoke()} className={buttonClass.secondary}>
          Log out everywhere
        </button>
        {!self && (
          <button type="button" data-testid={`delete-user-${user}`} disabled={busy} onClick={() => void remove()} className={buttonClass.danger}>
            Delete user
          </button>
        )}
      </div>
      <Feedback error={error} info={info} />
      {link && (
        <p className="mt-2 break-all rounded bg-slate-100 p-2 font-mono text-xs" data-testid="reset-link-url">
          {link}
        </p>
      )}
    </div>
  );
}

interface EditProps {
  user: string;
  csrf: string;
  self: boolean;
  admin: boolean;
  blocked: boolean;
  namedServerLimit: number | null;
  hubNamedServerLimit: number;
  activeServers: number;
}

export function EditUserForm(p: EditProps) {
  const router = useRouter();
  const [name, setName] = useState(p.user);
  const [admin, setAdmin] = useState(p.admin);
  const [blocked, setBlocked] = useState(p.blocked);
  const [limit, setLimit] = useState(p.namedServerLimit === null ? "" : String(p.namedServerLimit));
  const [error, setError] = useState("");
  const [info, setInfo] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    setInfo("");
    const edit: Record<string, unknown> = {};
    // Sent as typed: the hub refuses spaces and non-ASCII letters rather than quietly changing the name.
    if (name !== p.user) edit.name = name;
    if (admin !== p.admin) edit.admin = admin;
    if (blocked !== p.blocked) edit.blocked = blocked;
    const newLimit = limit.trim() === "" ? null : Number(limit);
    if (newLimit !== null && !Number.isInteger(newLimit)) return setError("The named-server limit must be a whole number, or empty for the hub's.");
    if (newLimit !== p.namedServerLimit) edit.namedServerLimit = newLimit;
    if (!Object.keys(edit).length) return setInfo("Nothing changed.");
    if (edit.blocked === true && !window.confirm(`Block ${p.user}? Their sessions end and their ${p.activeServers} active server(s) stop now.`)) return;
    setBusy(true);
    const r = await hubFetch<{ name: string }>(adminUserApi(p.user), { method: "PATCH", body: edit, csrf: p.csrf });
    setBusy(false);
    if (!r.ok || !r.data) return setError(r.message);
    setInfo("Saved.");
    if (r.data.name !== p.user) router.replace(`/admin/users/${encodeURIComponent(r.data.name)}`);
    else router.refresh();
  };

  return (
    <form onSubmit={(e) => void submit(e)} data-testid="edit-user-form" className="mt-4 space-y-4">
      <div>
        <label htmlFor="edit-name" className={labelClass}>
          User name
        </label>
        <input
          id="edit-name"
          value={name}
          disabled={p.self}
          onChange={(e) => setName(e.target.value)}
          autoCapitalize="none"
          spellCheck={false}
          className={inputClass}
          aria-describedby="edit-name-help"
        />
        <p id="edit-name-help" className="mt-1 text-xs text-slate-500">
          Renaming needs every server of the user stopped (a server&apos;s address contains the name); it ends their sessions and keeps their OS account.
        </p>
      </div>
      <div className="flex flex-wrap gap-6">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" data-testid="edit-admin" checked={admin} disabled={p.self} onChange={(e) => setAdmin(e.target.checked)} />
          Admin
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" data-testid="edit-blocked" checked={blocked} disabled={p.self} onChange={(e) => setBlocked(e.target.checked)} />
          Blocked
        </label>
      </div>
      <div>
        <label htmlFor="edit-limit" className={labelClass}>
          Named servers allowed
        </label>
        <input
          id="edit-limit"
          inputMode="numeric"
          value={limit}
          placeholder={`hub default (${p.hubNamedServerLimit})`}
          onChange={(e) => setLimit(e.target.value)}
          className={inputClass}
        />
      </div>
      <button type="submit" data-testid="edit-user-submit" disabled={busy} className={buttonClass.primary}>
        Save
      </button>
      <Feedback error={error} info={info} />
    </form>
  );
}

export function ServerActions({ user, server, state, csrf, blocked }: { user: string; server: string; state: string; csrf: string; blocked: boolean }) {
  const router = useRouter();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const label = server || "default";
  const call = async (method: string, body?: unknown, confirmText?: string) => {
    if (confirmText && !window.confirm(confirmText)) return;
    setBusy(true);
    setError("");
    const r = await hubFetch(serverApiPath(user, server), { method, body, csrf });
    setBusy(false);
    if (!r.ok) setError(r.message);
    router.refresh();
  };
  const active = ["pending", "starting", "running", "stopping"].includes(state);
  return (
    <div>
      <div className="flex flex-wrap gap-1">
        {!active && !blocked && (
          <button type="button" data-testid={`start-server-${label}`} disabled={busy} onClick={() => void call("POST", {})} className={buttonClass.small}>
            Start
          </button>
        )}
        {active && state !== "stopping" && (
          <button
            type="button"
            data-testid={`stop-server-${label}`}
            disabled={busy}
            onClick={() => void call("DELETE", undefined, `Stop ${user}'s server ${label}? Unsaved work in it is lost.`)}
            className={buttonClass.small}
          >
            Stop
          </button>
        )}
        {server && !active && (
          <button
            type="button"
            data-testid={`delete-server-${label}`}
            disabled={busy}
            onClick={() => void call("DELETE", { remove: true }, `Delete ${user}'s server ${label}? Its settings are removed; its files stay.`)}
            className={buttonClass.smallDanger}
          >
            Delete
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="mt-1 text-xs text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
