"use client";
// Setting or removing the banner.
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { hubFetch } from "@/app/_components/hub-fetch";
import { Notice, buttonClass, inputClass, labelClass } from "@/app/_components/ui";
import type { Announcement } from "@/app/_lib/announcement";

export function AnnouncementForm({ csrf, current, maxLength }: { csrf: string; current: Announcement | null; maxLength: number }) {
  const router = useRouter();
  const [text, setText] = useState(current?.text ?? "");
  // <input type="datetime-local"> without a zone: the page says the time is UTC
  const [expires, setExpires] = useState(current?.expiresAt ? current.expiresAt.slice(0, 16) : "");
  const [error, setError] = useState("");
  const [info, setInfo] = useState("");
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    setInfo("");
    const r = await hubFetch("/hub/api/admin/announcement", { method: "PUT", body: { text, expiresAt: expires ? `${expires}:00Z` : null }, csrf });
    if (!r.ok) return setError(r.message);
    setInfo("The banner is shown on every page.");
    router.refresh();
  };
  const remove = async () => {
    setError("");
    const r = await hubFetch("/hub/api/admin/announcement", { method: "DELETE", csrf });
    if (!r.ok) return setError(r.message);
    setText("");
    setExpires("");
    setInfo("The banner is removed.");
    router.refresh();
  };
  return (
    <form onSubmit={(e) => void save(e)} data-testid="announcement-form" className="mt-4 space-y-4">
      <div>
        <label htmlFor="announcement-text" className={labelClass}>
          Text
        </label>
        <textarea
          id="announcement-text"
          required
          maxLength={maxLength}
          rows={3}
          value={text}
          onChange={(e) => setText(e.target.value)}
          className={inputClass}
        />
      </div>
      <div>
        <label htmlFor="announcement-expires" className={labelClass}>
          Until (UTC, optional)
        </label>
        <input id="announcement-expires" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} className={inputClass} />
      </div>
      <div className="flex gap-2">
        <button type="submit" data-testid="announcement-save" className={buttonClass.primary}>
          Show banner
        </button>
        {current && (
          <button type="button" data-testid="announcement-remove" onClick={() => void remove()} className={buttonClass.danger}>
            Remove banner
          </button>
        )}
      </div>
      <div aria-live="polite">
        {error && <Notice kind="error">{error}</Notice>}
        {!error && info && <Notice kind="success">{info}</Notice>}
      </div>
    </form>
  );
}
