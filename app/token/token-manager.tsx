"use client";
// Create, list and revoke the viewer's API tokens through the REST API; a new token is shown once.
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { hubFetch } from "../_components/hub-fetch";
import { Card, Notice, buttonClass, inputClass, labelClass } from "../_components/ui";
import type { TokenModel } from "../_lib/auth/api-tokens";

interface Props {
  user: string;
  csrf: string;
  tokens: TokenModel[];
  scopes: { name: string; description: string }[];
}

const EXPIRY_CHOICES: { label: string; seconds: number }[] = [
  { label: "1 hour", seconds: 3600 },
  { label: "1 day", seconds: 86400 },
  { label: "1 week", seconds: 7 * 86400 },
  { label: "30 days", seconds: 30 * 86400 },
  { label: "Never", seconds: 0 },
];

function formatTime(iso: string | null, none: string): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : none;
}

export function TokenManager({ user, csrf, tokens, scopes }: Props) {
  const router = useRouter();
  const [note, setNote] = useState("");
  const [expiresIn, setExpiresIn] = useState(30 * 86400);
  const [chosen, setChosen] = useState<string[]>(["inherit"]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [created, setCreated] = useState<string | null>(null);
  const base = `/hub/api/users/${encodeURIComponent(user)}/tokens`;

  const toggle = (name: string) => setChosen((c) => (c.includes(name) ? c.filter((x) => x !== name) : [...c, name]));

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    setCreated(null);
    const r = await hubFetch<{ token: string }>(base, { method: "POST", csrf, body: { note, expires_in: expiresIn || null, scopes: chosen } });
    setBusy(false);
    if (!r.ok || !r.data) return setError(r.message);
    setCreated(r.data.token);
    setNote("");
    router.refresh();
  };

  const revoke = async (t: TokenModel) => {
    if (!window.confirm(`Revoke the token "${t.note || t.prefix}"? Scripts using it stop working.`)) return;
    setError("");
    const r = await hubFetch(`${base}/${t.id}`, { method: "DELETE", csrf });
    if (!r.ok) return setError(r.message);
    router.refresh();
  };

  return (
    <div className="space-y-6">
      <Card>
        <h2 className="text-lg font-semibold">New token</h2>
        <form onSubmit={(e) => void create(e)} data-testid="token-form" className="mt-4 space-y-4">
          <div>
            <label htmlFor="token-note" className={labelClass}>
              Note
            </label>
            <input
              id="token-note"
              name="note"
              value={note}
              maxLength={200}
              onChange={(e) => setNote(e.target.value)}
              placeholder="what the token is for"
              className={inputClass}
            />
          </div>
          <div>
            <label htmlFor="token-expiry" className={labelClass}>
              Expires in
            </label>
            <select id="token-expiry" name="expires_in" value={expiresIn} onChange={(e) => setExpiresIn(Number(e.target.value))} className={inputClass}>
              {EXPIRY_CHOICES.map((c) => (
                <option key={c.seconds} value={c.seconds}>
                  {c.label}
                </option>
              ))}
            </select>
          </div>
          <fieldset>
            <legend className={labelClass}>Scopes</legend>
            <div className="mt-1 space-y-1">
              {scopes.map((s) => (
                <label key={s.name} className="flex items-start gap-2 text-sm text-slate-700">
                  <input
                    type="checkbox"
                    name="scopes"
                    value={s.name}
                    data-testid={`scope-${s.name}`}
                    checked={chosen.includes(s.name)}
                    onChange={() => toggle(s.name)}
                    className="mt-0.5 h-4 w-4 rounded border-slate-300"
                  />
                  <span>
                    <code className="font-medium">{s.name}</code> – {s.description}
                  </span>
                </label>
              ))}
            </div>
          </fieldset>
          <button type="submit" data-testid="token-create" disabled={busy || chosen.length === 0} className={buttonClass.primary}>
            {busy ? "Creating…" : "Create token"}
          </button>
        </form>
      </Card>

      <div aria-live="polite" className="space-y-3">
        {error && (
          <Notice kind="error" testId="token-error">
            {error}
          </Notice>
        )}
        {created && (
          <Notice kind="success" testId="token-created">
            <p className="font-medium">Your new token – copy it now, it will not be shown again:</p>
            <code data-testid="token-value" className="mt-2 block break-all rounded bg-white px-2 py-1 font-mono text-slate-900">
              {created}
            </code>
          </Notice>
        )}
      </div>

      <Card padded={false} className="overflow-x-auto">
        <table className="w-full min-w-[40rem] text-left text-sm" data-testid="tokens-table">
          <caption className="sr-only">Your API tokens</caption>
          <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th scope="col" className="px-4 py-2 font-medium">
                Note
              </th>
              <th scope="col" className="px-4 py-2 font-medium">
                Scopes
              </th>
              <th scope="col" className="px-4 py-2 font-medium">
                Created
              </th>
              <th scope="col" className="px-4 py-2 font-medium">
                Expires
              </th>
              <th scope="col" className="px-4 py-2 font-medium">
                Last used
              </th>
              <th scope="col" className="px-4 py-2 font-medium">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.length === 0 && (
              <tr>
                <td colSpan={6} className="px-4 py-3 text-slate-500">
                  No tokens yet.
                </td>
              </tr>
            )}
            {tokens.map((t) => (
              <tr key={t.id} data-testid={`token-row-${t.id}`} className="border-b border-slate-100 last:border-0">
                <th scope="row" className="px-4 py-3 font-medium text-slate-900">
                  {t.note || <span className="text-slate-500">(no note)</span>} <span className="ml-1 font-mono text-xs text-slate-500">{t.prefix}…</span>
                </th>
                <td className="px-4 py-3 text-slate-700">{t.scopes.join(", ")}</td>
                <td className="px-4 py-3 text-slate-600">{formatTime(t.created, "")}</td>
                <td className="px-4 py-3 text-slate-600">{formatTime(t.expires_at, "never")}</td>
                <td className="px-4 py-3 text-slate-600" data-testid={`token-last-used-${t.id}`}>
                  {formatTime(t.last_activity, "never")}
                </td>
                <td className="px-4 py-3">
                  <button
                    type="button"
                    data-testid={`token-revoke-${t.id}`}
                    aria-label={`Revoke token ${t.note || t.prefix}`}
                    onClick={() => void revoke(t)}
                    className={buttonClass.smallDanger}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </div>
  );
}
