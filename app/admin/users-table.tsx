"use client";
// The users table and the bulk actions: pick users on this page (or every user the view matches),
// choose an action, confirm it (typing the number of users for a deletion), and follow the
// background job's progress and per-user results. Everything is a native control, so it all
// works from the keyboard; the confirmation is a modal <dialog>.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import { hubFetch } from "../_components/hub-fetch";
import { Card, Notice, StateBadge, buttonClass, inputClass, labelClass } from "../_components/ui";
import { BULK_ACTIONS, type BulkAction } from "../_lib/bulk/actions";
import type { BulkJobView } from "../_lib/bulk/jobs";
import type { UsersView } from "../_lib/users/users-view";

export interface UserRowData {
  name: string;
  admin: boolean;
  blocked: boolean;
  authSource: string;
  groups: string[];
  servers: { name: string; state: string; profile: string | null }[];
  started: string;
  startedTitle: string;
  lastActivity: string;
  lastActivityTitle: string;
  usage: string;
}

interface Header {
  label: string;
  href: string | null;
  ariaSort: "ascending" | "descending" | "none" | undefined;
}

interface Props {
  rows: UserRowData[];
  headers: Header[];
  /** users matching the view */
  total: number;
  /** the view's filters, for "every user the view matches" */
  filter: Partial<UsersView>;
  /** groups an admin may add users to (GitHub teams are GitHub's) */
  localGroups: string[];
  viewer: string;
  csrf: string;
  openJob: BulkJobView | null;
  recentJobs: BulkJobView[];
}

const POLL_MS = 1000;

export function UsersTable({ rows, headers, total, filter, localGroups, viewer, csrf, openJob, recentJobs }: Props) {
  const router = useRouter();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [action, setAction] = useState<BulkAction>("stop");
  const [group, setGroup] = useState(localGroups[0] ?? "");
  const [error, setError] = useState("");
  const [job, setJob] = useState<BulkJobView | null>(openJob);
  const dialog = useRef<HTMLDialogElement>(null);
  const refresh = useCallback(() => router.refresh(), [router]);
  const closeJob = useCallback(() => setJob(null), []);

  // A new page of rows (another search, sort or page): start with nothing selected.
  const rowKey = rows.map((r) => r.name).join(",");
  // (reset while rendering, as React advises, rather than in an effect that renders twice)
  const [shownKey, setShownKey] = useState(rowKey);
  if (shownKey !== rowKey) {
    setShownKey(rowKey);
    setSelected(new Set());
    setAllMatching(false);
  }

  const count = allMatching ? total : selected.size;
  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(r.name));
  const meta = BULK_ACTIONS[action];

  const toggle = (name: string) => {
    setAllMatching(false);
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });
  };
  const toggleAll = () => {
    setAllMatching(false);
    setSelected(allOnPage ? new Set() : new Set(rows.map((r) => r.name)));
  };

  const submit = async () => {
    setError("");
    const body = {
      action,
      ...(meta.needsGroup ? { group } : {}),
      ...(allMatching ? { filter, expectedCount: total } : { users: [...selected] }),
      ...(meta.destructive ? { confirm: true } : {}),
    };
    const r = await hubFetch<BulkJobView>("/hub/api/admin/bulk-jobs", { method: "POST", body, csrf });
    dialog.current?.close();
    if (!r.ok || !r.data) {
      setError(r.message);
      return;
    }
    setJob(r.data);
    setSelected(new Set());
    setAllMatching(false);
  };

  return (
    <div className="space-y-4">
      <Card padded={false}>
        <div
          role="group"
          aria-label="Act on selected users"
          data-testid="bulk-bar"
          className="flex flex-wrap items-end gap-3 border-b border-slate-200 px-4 py-3"
        >
          <p data-testid="bulk-selection" className="min-w-[10rem] text-sm text-slate-700" aria-live="polite">
            {count === 0
              ? "No users selected"
              : `${count.toLocaleString("en")} user${count === 1 ? "" : "s"} selected${allMatching ? " (every user matching this view)" : ""}`}
          </p>
          <div>
            <label htmlFor="bulk-action" className={labelClass}>
              Action
            </label>
            <select id="bulk-action" data-testid="bulk-action" value={action} onChange={(e) => setAction(e.target.value as BulkAction)} className={inputClass}>
              {(Object.keys(BULK_ACTIONS) as BulkAction[]).map((a) => (
                <option key={a} value={a}>
                  {BULK_ACTIONS[a].label}
                </option>
              ))}
            </select>
          </div>
          {meta.needsGroup && (
            <div>
              <label htmlFor="bulk-group" className={labelClass}>
                Group
              </label>
              <select id="bulk-group" data-testid="bulk-group" value={group} onChange={(e) => setGroup(e.target.value)} className={inputClass}>
                {localGroups.length === 0 && <option value="">no groups yet</option>}
                {localGroups.map((g) => (
                  <option key={g} value={g}>
                    {g}
                  </option>
                ))}
              </select>
            </div>
          )}
          <button
            type="button"
            data-testid="bulk-apply"
            disabled={count === 0 || (meta.needsGroup && !group)}
            onClick={() => dialog.current?.showModal()}
            className={meta.destructive ? buttonClass.danger : buttonClass.primary}
          >
            {meta.label}…
          </button>
          {allOnPage && !allMatching && total > rows.length && (
            <button type="button" data-testid="select-all-matching" onClick={() => setAllMatching(true)} className={buttonClass.secondary}>
              Select all {total.toLocaleString("en")} users matching this view
            </button>
          )}
        </div>
        {error && (
          <div className="px-4 pt-3">
            <Notice kind="error" testId="bulk-error">
              {error}
            </Notice>
          </div>
        )}
        <div className="overflow-x-auto">
          <table className="w-full min-w-[56rem] text-left text-sm" data-testid="users-table">
            <caption className="sr-only">Users; column headers with links sort the table</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" className="w-10 px-4 py-2">
                  <input
                    type="checkbox"
                    data-testid="select-page"
                    aria-label="Select every user on this page"
                    checked={allOnPage}
                    onChange={toggleAll}
                    className="h-4 w-4 rounded border-slate-300"
                  />
                </th>
                {headers.map((h) => (
                  <th key={h.label} scope="col" aria-sort={h.ariaSort} className="px-4 py-2 font-medium">
                    {h.href ? (
                      <Link href={h.href} data-testid={`sort-${h.label}`} className="inline-flex items-center gap-1 hover:text-slate-900 hover:underline">
                        {h.label}
                        <span aria-hidden="true">{h.ariaSort === "ascending" ? "▲" : h.ariaSort === "descending" ? "▼" : ""}</span>
                      </Link>
                    ) : (
                      h.label
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.length === 0 && (
                <tr>
                  <td colSpan={headers.length + 1} className="px-4 py-6 text-center text-slate-500" data-testid="users-empty">
                    No users match.
                  </td>
                </tr>
              )}
              {rows.map((u) => (
                <tr key={u.name} data-testid={`user-row-${u.name}`} className="border-b border-slate-100 align-top last:border-0">
                  <td className="px-4 py-3">
                    <input
                      type="checkbox"
                      data-testid={`select-${u.name}`}
                      aria-label={`Select ${u.name}`}
                      checked={allMatching || selected.has(u.name)}
                      onChange={() => toggle(u.name)}
                      className="h-4 w-4 rounded border-slate-300"
                    />
                  </td>
                  <th scope="row" className="px-4 py-3 font-medium text-slate-900">
                    <Link href={`/admin/users/${encodeURIComponent(u.name)}`} className="text-sky-800 hover:underline">
                      {u.name}
                    </Link>
                    {u.name === viewer && <span className="ml-1 text-xs font-normal text-slate-500">(you)</span>}
                    <span className="ml-2 inline-flex gap-1 align-middle">
                      {u.admin && <Tag tone="sky">admin</Tag>}
                      {u.blocked && <Tag tone="red">blocked</Tag>}
                      {u.authSource === "github" && <Tag tone="slate">GitHub</Tag>}
                    </span>
                  </th>
                  <td className="px-4 py-3 text-slate-600">{u.groups.length ? u.groups.join(", ") : <span className="text-slate-400">—</span>}</td>
                  <td className="px-4 py-3">
                    {u.servers.length === 0 ? (
                      <span className="text-slate-400">—</span>
                    ) : (
                      <ul className="space-y-1">
                        {u.servers.map((s) => (
                          <li key={s.name} className="flex items-center gap-2">
                            <StateBadge state={s.state} testId={`server-state-${u.name}${s.name ? `-${s.name}` : ""}`} />
                            <span className="font-mono text-xs text-slate-600">{s.name || "default"}</span>
                            {s.profile && <span className="text-xs text-slate-500">{s.profile}</span>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td className="px-4 py-3 text-slate-600" title={u.startedTitle}>
                    {u.started}
                  </td>
                  <td className="px-4 py-3 text-slate-600" title={u.lastActivityTitle}>
                    {u.lastActivity}
                  </td>
                  <td className="px-4 py-3 text-slate-600">{u.usage}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>

      <ConfirmDialog ref={dialog} action={action} group={group} count={count} allMatching={allMatching} names={[...selected]} onConfirm={() => void submit()} />

      {job && <BulkProgress key={job.id} initial={job} onDone={refresh} onClose={closeJob} />}

      {recentJobs.length > 0 && (
        <details className="text-sm" data-testid="recent-bulk">
          <summary className="cursor-pointer text-slate-600">Recent bulk actions</summary>
          <ul className="mt-2 space-y-1">
            {recentJobs.map((j) => (
              <li key={j.id}>
                <Link href={`/admin?job=${encodeURIComponent(j.id)}`} className="text-sky-800 underline">
                  {j.label}
                  {j.group ? ` ${j.group}` : ""}
                </Link>{" "}
                — {j.total} user{j.total === 1 ? "" : "s"}, {j.state}
                {j.failed ? `, ${j.failed} failed` : ""} (by {j.createdBy}, {j.createdAt.slice(0, 16).replace("T", " ")} UTC)
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function Tag({ tone, children }: { tone: "sky" | "red" | "slate"; children: string }) {
  const cls = tone === "sky" ? "bg-sky-100 text-sky-800" : tone === "red" ? "bg-red-100 text-red-800" : "bg-slate-100 text-slate-700";
  return <span className={`rounded px-1.5 py-0.5 text-[0.7rem] font-medium ${cls}`}>{children}</span>;
}

function ConfirmDialog({
  ref,
  action,
  group,
  count,
  allMatching,
  names,
  onConfirm,
}: {
  ref: RefObject<HTMLDialogElement | null>;
  action: BulkAction;
  group: string;
  count: number;
  allMatching: boolean;
  names: string[];
  onConfirm: () => void;
}) {
  const [typed, setTyped] = useState("");
  const meta = BULK_ACTIONS[action];
  const typedNeeded = action === "delete";
  const who = `${count.toLocaleString("en")} user${count === 1 ? "" : "s"}`;
  const what = meta.needsGroup ? `${meta.label.toLowerCase()} ${group}` : meta.label.toLowerCase();
  const consequence: Record<BulkAction, string> = {
    start: "Each user's default server is started with the default options.",
    stop: "Every running or starting server of these users is stopped; unsaved work in their notebooks is lost.",
    "revoke-sessions": "They are logged out everywhere and must log in again.",
    "add-to-group": "They get the profiles this group unlocks.",
    "remove-from-group": "They lose the profiles only this group gave them.",
    block: "They cannot log in, their sessions end and their servers stop.",
    unblock: "They can log in again.",
    delete: "Their accounts, servers, tokens and usage history are deleted. This cannot be undone.",
  };
  return (
    <dialog
      ref={ref}
      aria-labelledby="bulk-confirm-title"
      data-testid="bulk-confirm"
      onClose={() => setTyped("")}
      className="w-full max-w-lg rounded-lg border border-slate-200 p-0 shadow-xl backdrop:bg-slate-900/40"
    >
      <form
        method="dialog"
        className="space-y-4 p-6"
        onSubmit={(e) => {
          e.preventDefault();
          if (typedNeeded && typed.trim() !== String(count)) return;
          onConfirm();
        }}
      >
        <h2 id="bulk-confirm-title" className="text-lg font-semibold">
          {meta.label}
          {meta.needsGroup ? ` ${group}` : ""}: {who}?
        </h2>
        <p className="text-sm text-slate-700">{consequence[action]}</p>
        {!allMatching && names.length <= 20 && <p className="text-sm text-slate-600">{names.join(", ")}</p>}
        {allMatching && <p className="text-sm text-slate-600">Every user matching the current view ({who}).</p>}
        {typedNeeded && (
          <div>
            <label htmlFor="bulk-typed" className={labelClass}>
              Type {count} to confirm
            </label>
            <input
              id="bulk-typed"
              data-testid="bulk-typed"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              inputMode="numeric"
              autoComplete="off"
              className={inputClass}
            />
          </div>
        )}
        <div className="flex justify-end gap-3">
          <button type="button" data-testid="bulk-cancel" onClick={() => ref.current?.close()} className={buttonClass.secondary}>
            Cancel
          </button>
          <button
            type="submit"
            data-testid="bulk-confirm-submit"
            disabled={typedNeeded && typed.trim() !== String(count)}
            className={meta.destructive ? buttonClass.danger : buttonClass.primary}
          >
            Yes, {what} for {who}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** A bulk job's progress, polled every second until it is done. */
function BulkProgress({ initial, onDone, onClose }: { initial: BulkJobView; onDone: () => void; onClose: () => void }) {
  const [job, setJob] = useState(initial);
  const [error, setError] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [initial.id]);
  useEffect(() => {
    if (job.state === "done") return;
    let alive = true;
    const poll = async () => {
      const r = await hubFetch<BulkJobView>(`/hub/api/admin/bulk-jobs/${encodeURIComponent(job.id)}`);
      if (!alive) return;
      if (r.ok && r.data) {
        setJob(r.data);
        if (r.data.state === "done") onDone();
      } else setError(r.message);
    };
    const t = setTimeout(() => void poll(), POLL_MS);
    return () => {
      alive = false;
      clearTimeout(t);
    };
  }, [job, onDone]);
  const done = job.succeeded + job.failed;
  return (
    <Card>
      <section aria-labelledby="bulk-progress-title" data-testid="bulk-progress" data-state={job.state}>
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="bulk-progress-title" ref={heading} tabIndex={-1} className="text-lg font-semibold">
            {job.label}
            {job.group ? ` ${job.group}` : ""}: {job.state === "done" ? "done" : "in progress"}
          </h2>
          <button type="button" onClick={onClose} className={buttonClass.small}>
            Close
          </button>
        </div>
        <progress value={done} max={job.total} aria-label="Progress" className="mt-3 h-2 w-full" />
        <p data-testid="bulk-counts" aria-live="polite" className="mt-2 text-sm text-slate-700">
          {done} of {job.total} done · {job.succeeded} succeeded · {job.failed} failed
        </p>
        {error && (
          <div className="mt-2">
            <Notice kind="error">{error}</Notice>
          </div>
        )}
        <table className="mt-3 w-full text-left text-sm" data-testid="bulk-results">
          <caption className="sr-only">Result per user</caption>
          <thead className="text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th scope="col" className="py-1 pr-4 font-medium">
                User
              </th>
              <th scope="col" className="py-1 pr-4 font-medium">
                Result
              </th>
              <th scope="col" className="py-1 font-medium">
                Details
              </th>
            </tr>
          </thead>
          <tbody>
            {job.items.map((i) => (
              <tr key={i.user} data-testid={`bulk-item-${i.user}`} data-status={i.status} className="border-t border-slate-100">
                <td className="py-1 pr-4 font-mono text-xs">{i.user}</td>
                <td className={`py-1 pr-4 ${i.status === "failed" ? "text-red-700" : i.status === "ok" ? "text-emerald-700" : "text-slate-600"}`}>
                  {i.status}
                </td>
                <td className="py-1 text-slate-600">{i.message ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {job.items.length < job.total && (
          <p className="mt-2 text-xs text-slate-500">
            Showing {job.items.length} of {job.total} users (failures first).
          </p>
        )}
      </section>
    </Card>
  );
}
