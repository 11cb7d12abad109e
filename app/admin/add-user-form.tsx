"use client";
// Adding one user (name, optional password, admin flag) through the REST API.
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { hubFetch } from "../_components/hub-fetch";
import { Card, Notice, buttonClass, inputClass, labelClass } from "../_components/ui";

export function AddUserForm({ csrf, minPasswordLength }: { csrf: string; minPasswordLength: number }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [admin, setAdmin] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [info, setInfo] = useState("");
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    setInfo("");
    // Sent as typed: the hub refuses spaces and non-ASCII letters rather than quietly changing the name.
    const r = await hubFetch<{ name: string }>(`/hub/api/users/${encodeURIComponent(name)}`, {
      method: "POST",
      body: password ? { password, admin } : { admin },
      csrf,
    });
    setBusy(false);
    if (!r.ok) {
      setError(r.message);
      return;
    }
    const user = r.data?.name ?? name;
    setInfo(`Added ${user}.`);
    setName("");
    setPassword("");
    setAdmin(false);
    router.push(`/admin?q=${encodeURIComponent(user)}`);
  };
  return (
    <Card>
      <h2 className="text-lg font-semibold">Add a user</h2>
      <div aria-live="polite" className="mt-3">
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
            At least {minPasswordLength} characters; leave empty for users who sign in another way (or send them a reset link from their page).
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
