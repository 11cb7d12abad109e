"use client";
// The spawn form: a radio list of the spawner's profiles and the fields the admin opened up within
// bounds (generic: described by the spawner as data, see SpawnOptionsForm in spawners/types.ts).
// Submits the options with the start request, then hands over to the progress page.
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import type { SpawnFormField, SpawnOptionsForm } from "@/spawners/types";
import { hubFetch, serverApiPath, spawnPendingPath } from "./hub-fetch";
import { Notice, buttonClass, inputClass, labelClass } from "./ui";

export interface SpawnOptionsFormProps {
  user: string;
  server: string;
  csrf: string;
  next: string | null;
  label: string;
  form: SpawnOptionsForm;
  /** options of the last start (preselects its profile and values) */
  last: Record<string, unknown>;
}

/** Integer fields are stored in base units (seconds, bytes) and shown in `unit` (÷ step). */
function toShown(f: Extract<SpawnFormField, { kind: "integer" }>, v: number): number {
  return f.step && f.unit ? Math.round(v / f.step) : v;
}

/** The field as the chosen profile offers it (its own range), or null when that profile fixes it. */
function forProfile(f: SpawnFormField, profile: string): SpawnFormField | null {
  if (f.kind !== "integer" || !f.byProfile || !(profile in f.byProfile)) return f;
  const r = f.byProfile[profile];
  return r ? { ...f, min: r.min, max: r.max } : null;
}

export function SpawnOptionsFormView({ user, server, csrf, next, label, form, last }: SpawnOptionsFormProps) {
  const router = useRouter();
  const known = form.profiles.some((p) => p.name === last.profile);
  const [profile, setProfile] = useState<string>(known ? String(last.profile) : form.defaultProfile);
  // "" = keep the profile's value (the field is not sent)
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      form.fields.map((f) => {
        const v = last[f.name];
        if (f.kind === "choice") return [f.name, typeof v === "string" && f.choices.includes(v) ? v : ""];
        return [f.name, typeof v === "number" ? String(toShown(f, v)) : ""];
      }),
    ),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const shownFields = form.fields.map((f) => forProfile(f, profile)).filter((f): f is SpawnFormField => f !== null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    const options: Record<string, string | number> = { profile };
    for (const f of shownFields) {
      const raw = values[f.name] ?? "";
      if (raw === "") continue;
      options[f.name] = f.kind === "choice" ? raw : f.step && f.unit ? Math.round(Number(raw) * f.step) : Number(raw);
    }
    setBusy(true);
    const r = await hubFetch(serverApiPath(user, server), { method: "POST", body: options, csrf });
    if (r.ok || (r.status === 400 && /already has a server running/.test(r.message))) {
      router.push(`${spawnPendingPath(user, server)}${next ? `?next=${encodeURIComponent(next)}` : ""}`);
      return;
    }
    setBusy(false);
    setError(r.message);
  };

  return (
    <form onSubmit={(e) => void submit(e)} data-testid="spawn-form" className="space-y-5">
      <fieldset>
        <legend className={labelClass}>Profile</legend>
        <div className="mt-2 space-y-2">
          {form.profiles.map((p) => (
            <label
              key={p.name}
              data-testid={`profile-${p.name}`}
              className={`flex cursor-pointer gap-3 rounded-md border px-3 py-2 ${profile === p.name ? "border-sky-600 bg-sky-50" : "border-slate-200"}`}
            >
              <input type="radio" name="profile" value={p.name} checked={profile === p.name} onChange={() => setProfile(p.name)} className="mt-1" />
              <span>
                <span className="block text-sm font-medium text-slate-800">{p.display}</span>
                {p.description && <span className="block text-xs text-slate-500">{p.description}</span>}
              </span>
            </label>
          ))}
        </div>
      </fieldset>

      {shownFields.length > 0 && (
        <fieldset className="grid gap-4 sm:grid-cols-2">
          <legend className={`${labelClass} mb-2`}>Adjust (optional; empty keeps the profile&apos;s value)</legend>
          {shownFields.map((f) => (
            <div key={f.name}>
              <label htmlFor={`opt-${f.name}`} className={labelClass}>
                {f.label}
                {f.kind === "integer" && f.unit ? ` (${f.unit})` : ""}
              </label>
              {f.kind === "choice" ? (
                <select
                  id={`opt-${f.name}`}
                  data-testid={`option-${f.name}`}
                  value={values[f.name] ?? ""}
                  onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                  className={inputClass}
                >
                  <option value="">(profile&apos;s)</option>
                  {f.choices.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  id={`opt-${f.name}`}
                  data-testid={`option-${f.name}`}
                  type="number"
                  inputMode="numeric"
                  min={toShown(f, f.min)}
                  max={toShown(f, f.max)}
                  step={1}
                  value={values[f.name] ?? ""}
                  placeholder={`${toShown(f, f.min)}–${toShown(f, f.max)}`}
                  onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                  className={inputClass}
                />
              )}
              {f.help && <p className="mt-1 text-xs text-slate-500">{f.help}</p>}
            </div>
          ))}
        </fieldset>
      )}

      {error && (
        <Notice kind="error" testId="start-error">
          {error}
        </Notice>
      )}
      <button type="submit" data-testid="start-server" disabled={busy} className={buttonClass.primary}>
        {busy ? "Starting…" : label}
      </button>
    </form>
  );
}
