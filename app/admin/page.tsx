// /hub/admin – the users view: search, filters, sort and pages, all in the URL (shareable), read
// on the server one page at a time; selecting users (or every user the view matches) leads to the
// bulk actions.
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { requireCurrentAdmin } from "../_lib/auth/current-user";
import { getRuntime } from "../_lib/runtime";
import { listAdminWarnings } from "../_lib/admin-warnings";
import { PageFrame } from "../_components/page-frame";
import { Card, Notice, buttonClass, inputClass, labelClass } from "../_components/ui";
import type { SearchParams } from "../_components/search-params";
import { firstParam } from "../_components/search-params";
import { formatAgo, formatDateTime, formatHours } from "../_components/format";
import { readUsersPage } from "../_lib/users/directory";
import { PAGE_SIZES, STATE_FILTERS, parseUsersView, sortDirection, usersViewQuery, type UserSort, type UsersView } from "../_lib/users/users-view";
import { listGroups } from "../_lib/groups/groups";
import { listSpawnProfiles } from "@/spawners/spawn-options";
import { getBulkJob, listBulkJobs } from "../_lib/bulk/jobs";
import { AdminNav } from "./_components/admin-nav";
import { singleOriginWarning } from "@/proxy/origins/origin-plan";
import { AddUserForm } from "./add-user-form";
import { UsersTable, type UserRowData } from "./users-table";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Users · Admin" };

const COLUMNS: { sort: UserSort | null; label: string }[] = [
  { sort: "name", label: "User" },
  { sort: null, label: "Groups" },
  { sort: "state", label: "Servers" },
  { sort: "started", label: "Started" },
  { sort: "activity", label: "Last activity" },
  { sort: "usage", label: "Server hours (30 days)" },
];

const STATE_LABELS: Record<string, string> = { running: "running", pending: "starting", active: "running or starting", inactive: "no active server" };

function adminHref(view: UsersView, change: Partial<UsersView> = {}): string {
  return `/admin${usersViewQuery(view, change)}`;
}

export default async function AdminUsersPage({ searchParams }: { searchParams: SearchParams }) {
  const raw = await searchParams;
  const { view, ignored } = parseUsersView(raw, { lenient: true });
  const viewer = await requireCurrentAdmin(`/admin${usersViewQuery(view)}`);
  const jobId = firstParam(raw.job);
  // A search form sends every field, empty ones too: show the short, shareable form of the URL.
  const sent = new URLSearchParams(Object.entries(raw).flatMap(([k, v]) => (k === "job" || v === undefined ? [] : [[k, firstParam(v)]])));
  if (!ignored.length && sent.toString() !== usersViewQuery(view).slice(1)) {
    const canonical = usersViewQuery(view);
    redirect(`/admin${canonical}${jobId ? `${canonical ? "&" : "?"}job=${encodeURIComponent(jobId)}` : ""}`);
  }
  const rt = getRuntime();
  const now = new Date();
  const [page, groups, jobs, openJob] = await Promise.all([
    readUsersPage(rt, view),
    listGroups(rt.db),
    listBulkJobs(rt.db, 5),
    jobId ? getBulkJob(rt.db, jobId).catch(() => null) : Promise.resolve(null),
  ]);
  const profiles = listSpawnProfiles({ catalog: rt.catalog, kind: rt.config.spawner.kind, config: rt.config.spawner });
  const pages = Math.max(1, Math.ceil(page.total / view.size));
  const first = page.total ? (view.page - 1) * view.size + 1 : 0;
  const last = Math.min(page.total, view.page * view.size);
  const dir = sortDirection(view);
  const rows: UserRowData[] = page.users.map((u) => {
    const running = u.servers.filter((s) => s.state === "running" && s.startedAt);
    const started = running.reduce<Date | null>((a, s) => (a && a > s.startedAt! ? a : s.startedAt), null);
    return {
      name: u.name,
      admin: u.admin,
      blocked: u.blocked,
      authSource: u.authSource,
      groups: u.groups,
      servers: u.servers.map((s) => ({ name: s.name, state: s.state, profile: s.profile })),
      started: started ? formatAgo(started, now) : "—",
      startedTitle: started ? formatDateTime(started) : "",
      lastActivity: formatAgo(u.lastActivity, now),
      lastActivityTitle: u.lastActivity ? formatDateTime(u.lastActivity) : "",
      usage: formatHours(u.recentServerHours),
    };
  });
  const headers = COLUMNS.map((c) => {
    if (!c.sort) return { label: c.label, href: null, ariaSort: undefined };
    const active = view.sort === c.sort;
    const nextDir = active ? (dir === "asc" ? "desc" : "asc") : undefined;
    return {
      label: c.label,
      href: adminHref(view, { sort: c.sort, dir: nextDir, page: 1 }),
      ariaSort: active ? (dir === "asc" ? ("ascending" as const) : ("descending" as const)) : ("none" as const),
    };
  });
  const { sort: _s, dir: _d, page: _p, size: _z, ...filter } = view;
  const localGroups = groups.filter((g) => g.source === "local").map((g) => g.name);
  // the same words the hub logs at start: an admin who never reads logs sees them here
  const singleOrigin = singleOriginWarning(rt.origins);

  return (
    <PageFrame user={viewer} wide>
      <AdminNav current="users" />
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-xl font-semibold">Users</h1>
        <p data-testid="users-count" className="text-sm text-slate-600" aria-live="polite">
          {page.total.toLocaleString("en")} user{page.total === 1 ? "" : "s"} match{page.total === 1 ? "es" : ""}
          {page.total ? ` · showing ${first.toLocaleString("en")}–${last.toLocaleString("en")}` : ""}
        </p>
      </div>
      {singleOrigin && (
        <div className="mt-3">
          <Notice kind="error" testId="single-origin-warning">
            {singleOrigin}
          </Notice>
        </div>
      )}
      {listAdminWarnings().map((w) => (
        <div key={w.message} className="mt-3">
          <Notice kind="error" testId="admin-warning">
            {w.message}
          </Notice>
        </div>
      ))}
      {ignored.length > 0 && (
        <div className="mt-3">
          <Notice kind="info" testId="view-ignored">
            Some parts of this link were not understood and are ignored: {ignored.join(", ")}.
          </Notice>
        </div>
      )}
      {page.unknownGroup && (
        <div className="mt-3">
          <Notice kind="error" testId="unknown-group">
            There is no group named {view.group}.
          </Notice>
        </div>
      )}

      <Card className="mt-4">
        <form
          method="get"
          action="/hub/admin"
          role="search"
          aria-label="Find users"
          data-testid="users-filter"
          className="grid items-end gap-4 md:grid-cols-4 lg:grid-cols-8"
        >
          <div className="md:col-span-2">
            <label htmlFor="users-q" className={labelClass}>
              Name
            </label>
            <input
              id="users-q"
              name="q"
              type="search"
              defaultValue={view.q}
              placeholder="part of a name"
              autoComplete="off"
              spellCheck={false}
              className={inputClass}
            />
          </div>
          <Select
            id="users-match"
            name="match"
            label="Match"
            value={view.match}
            options={[
              ["contains", "contains"],
              ["prefix", "starts with"],
            ]}
          />
          <Select
            id="users-state"
            name="state"
            label="Server"
            value={view.state ?? ""}
            options={[["", "any"], ...STATE_FILTERS.map((s) => [s, STATE_LABELS[s]] as [string, string])]}
          />
          <Select
            id="users-admin"
            name="admin"
            label="Admin"
            value={view.admin ?? ""}
            options={[
              ["", "any"],
              ["yes", "admins"],
              ["no", "not admins"],
            ]}
          />
          <Select
            id="users-blocked"
            name="blocked"
            label="Blocked"
            value={view.blocked ?? ""}
            options={[
              ["", "any"],
              ["yes", "blocked"],
              ["no", "not blocked"],
            ]}
          />
          <Select
            id="users-group"
            name="group"
            label="Group"
            value={view.group ?? ""}
            options={[
              ["", "any"],
              ...groups.map((g) => [g.name, g.name] as [string, string]),
              ...(view.group && !groups.some((g) => g.name === view.group) ? [[view.group, view.group] as [string, string]] : []),
            ]}
          />
          <Select
            id="users-profile"
            name="profile"
            label="Profile"
            value={view.profile ?? ""}
            options={[
              ["", "any"],
              ...profiles.map((p) => [p.name, p.display] as [string, string]),
              ...(view.profile && !profiles.some((p) => p.name === view.profile) ? [[view.profile, view.profile] as [string, string]] : []),
            ]}
          />
          <Select
            id="users-size"
            name="size"
            label="Per page"
            value={String(view.size)}
            options={PAGE_SIZES.map((n) => [String(n), String(n)] as [string, string])}
          />
          {view.sort !== "name" && <input type="hidden" name="sort" value={view.sort} />}
          {view.dir && <input type="hidden" name="dir" value={view.dir} />}
          <div className="flex gap-2 md:col-span-2">
            <button type="submit" data-testid="users-filter-submit" className={buttonClass.primary}>
              Search
            </button>
            <Link href="/admin" className={buttonClass.secondary}>
              Clear
            </Link>
          </div>
        </form>
      </Card>

      <div className="mt-4">
        <UsersTable
          rows={rows}
          headers={headers}
          total={page.total}
          filter={filter}
          localGroups={localGroups}
          viewer={viewer.name}
          csrf={viewer.csrfToken}
          openJob={openJob}
          recentJobs={jobs}
        />
      </div>

      <nav aria-label="Pages" data-testid="users-pages" className="mt-4 flex flex-wrap items-center justify-between gap-3 text-sm">
        <span data-testid="users-page-status">
          Page {view.page.toLocaleString("en")} of {pages.toLocaleString("en")}
        </span>
        <span className="flex gap-2">
          <PageLink href={adminHref(view, { page: 1 })} disabled={view.page <= 1} label="First" testId="page-first" />
          <PageLink href={adminHref(view, { page: view.page - 1 })} disabled={view.page <= 1} label="Previous" testId="page-prev" rel="prev" />
          <PageLink href={adminHref(view, { page: view.page + 1 })} disabled={view.page >= pages} label="Next" testId="page-next" rel="next" />
          <PageLink href={adminHref(view, { page: pages })} disabled={view.page >= pages} label="Last" testId="page-last" />
        </span>
      </nav>

      <div className="mt-8">
        <AddUserForm csrf={viewer.csrfToken} minPasswordLength={rt.config.auth.local.minPasswordLength} />
      </div>
    </PageFrame>
  );
}

function Select({ id, name, label, value, options }: { id: string; name: string; label: string; value: string; options: [string, string][] }) {
  return (
    <div>
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      <select id={id} name={name} defaultValue={value} className={inputClass}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

function PageLink({ href, disabled, label, testId, rel }: { href: string; disabled: boolean; label: string; testId: string; rel?: string }) {
  if (disabled)
    return (
      <span aria-disabled="true" data-testid={testId} className={`${buttonClass.small} cursor-not-allowed opacity-50`}>
        {label}
      </span>
    );
  return (
    <Link href={href} rel={rel} data-testid={testId} className={buttonClass.small}>
      {label}
    </Link>
  );
}
