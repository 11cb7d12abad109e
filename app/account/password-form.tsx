"use client";
// Changing your own password: current, new, and the new one again.
import { useState, type FormEvent } from "react";
import { hubFetch } from "../_components/hub-fetch";
import { Notice, buttonClass, inputClass, labelClass } from "../_components/ui";

export function PasswordForm({ csrf, minLength }: { csrf: string; minLength: number }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState("");
  const [info, setInfo] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    setInfo("");
    if (next !== again) return setError("The new passwords do not match.");
    setBusy(true);
    const r = await hubFetch<{ otherSessionsEnded: number }>("/hub/api/account/password", { method: "POST", body: { current, new: next }, csrf });
    setBusy(false);
    if (!r.ok || !r.data) return setError(r.message);
    const n = r.data.otherSessionsEnded;
    setInfo(`Password changed. ${n ? `${n} other session${n === 1 ? " was" : "s were"} signed out.` : "You had no other sessions."}`);
    setCurrent("");
    setNext("");
    setAgain("");
  };
  const field = (id: string, label: string, value: string, set: (v: string) => void, autoComplete: string) => (
    <div>
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      <input
        id={id}
        type="password"
        required
        minLength={id === "pw-current" ? undefined : minLength}
        autoComplete={autoComplete}
        value={value}
        onChange={(e) => set(e.target.value)}
        className={inputClass}
      />
    </div>
  );
  return (
    <form onSubmit={(e) => void submit(e)} data-testid="password-form" className="mt-6 max-w-md space-y-4">
      <h2 className="text-lg font-semibold">Change your password</h2>
      {field("pw-current", "Current password", current, setCurrent, "current-password")}
      {field("pw-new", `New password (at least ${minLength} characters)`, next, setNext, "new-password")}
      {field("pw-again", "New password again", again, setAgain, "new-password")}
      <p className="text-xs text-slate-500">Your other sessions (other browsers and devices) are signed out; this one stays.</p>
      <button type="submit" data-testid="password-submit" disabled={busy} className={buttonClass.primary}>
        Change password
      </button>
      <div aria-live="polite">
        {error && (
          <Notice kind="error" testId="password-error">
            {error}
          </Notice>
        )}
        {!error && info && (
          <Notice kind="success" testId="password-info">
            {info}
          </Notice>
        )}
      </div>
    </form>
  );
}
