// /hub/admin/users/{name} – one user: account (rename, admin, block, named-server limit, password
// reset link, sessions, deletion), groups, every server (state, where it runs, profile, times, its
// progress and start log; start, stop, delete) and usage of the last 30 days per server.
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { requireCurrentAdmin } from "@/app/_lib/auth/current-user";
import { getRuntime } from "@/app/_lib/runtime";
import { readUserDetail } from "@/app/_lib/users/detail";
import { normalizeUsername } from "@/app/_lib/users/names";
import { PageFrame } from "@/app/_components/page-frame";
import { Card, Notice, StateBadge } from "@/app/_components/ui";
import { ServerWhere } from "@/app/_components/server-where";
import { JobDetailsView } from "@/app/_components/job-details-view";
import { renderTimeMs } from "@/app/_lib/clock";
import { formatAgo, formatBytes, formatDateTime, formatHours } from "@/app/_components/format";
import { AdminNav } from "@/app/admin/_components/admin-nav";
import { AccountActions, EditUserForm, ServerActions } from "./user-actions";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "User · Admin" };

export default async function AdminUserPage({ params }: { params: Promise<{ name: string }> }) {
  const raw = decodeURIComponent((await params).name);
  const viewer = await requireCurrentAdmin(`/admin/users/${encodeURIComponent(raw)}`);
  let name: string;
  try {
    name = normalizeUsername(raw);
  } catch {
    notFound();
  }
  const now = new Date();
  const u = await readUserDetail(getRuntime(), name, now);
  if (!u) notFound();
  const self = u.name === viewer.name;
  return (
    <PageFrame user={viewer} wide>
      <AdminNav current="users" />
      <p className="text-sm">
        <Link href="/admin" className="text-sky-800 hover:underline">
          ← Users
        </Link>
      </p>
      <div className="mt-2 flex flex-wrap items-baseline gap-3">
        <h1 className="text-xl font-semibold" data-testid="user-name">
          {u.name}
        </h1>
        {u.admin && <span className="rounded bg-sky-100 px-2 py-0.5 text-xs text-sky-900">admin</span>}
        {u.blockedAt && (
          <span data-testid="user-blocked" className="rounded bg-red-100 px-2 py-0.5 text-xs text-red-800">
            blocked {formatAgo(u.blockedAt, now)}
          </span>
        )}
        {u.authSource === "github" && <span className="rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-700">GitHub</span>}
      </div>

      <div className="mt-6 grid gap-6 lg:grid-cols-2">
        <Card>
          <h2 className="text-lg font-semibold">Account</h2>
          <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-500">Created</dt>
            <dd>{formatDateTime(u.createdAt)}</dd>
            <dt className="text-slate-500">Last activity</dt>
            <dd>{formatAgo(u.lastActivity, now)}</dd>
            <dt className="text-slate-500">Signs in with</dt>
            <dd>{u.authSource === "github" ? "GitHub" : u.hasPassword ? "password" : "no password set yet"}</dd>
            <dt className="text-slate-500">OS account</dt>
            <dd data-testid="user-os-account">
              {u.osAccount.name ? `${u.osAccount.name} (${u.osAccount.how === "stored" ? "stored on the user" : "from the mapping"})` : u.osAccount.error}
            </dd>
            <dt className="text-slate-500">Sessions, tokens</dt>
            <dd>
              {u.activeSessions} active session{u.activeSessions === 1 ? "" : "s"}, {u.activeTokens} API token{u.activeTokens === 1 ? "" : "s"}
            </dd>
            <dt className="text-slate-500">Groups</dt>
            <dd data-testid="user-groups">
              {u.groups.length
                ? u.groups.map((g) => (
                    <Link key={g.name} href={`/admin/groups?open=${encodeURIComponent(g.name)}`} className="mr-2 text-sky-800 hover:underline">
                      {g.name}
                      {g.source === "github" ? " (GitHub)" : ""}
                    </Link>
                  ))
                : "—"}
            </dd>
          </dl>
          <div className="mt-5">
            <AccountActions user={u.name} csrf={viewer.csrfToken} self={self} canReset={u.authSource !== "github"} />
          </div>
        </Card>
        <Card>
          <h2 className="text-lg font-semibold">Edit</h2>
          {self && (
            <p className="mt-1 text-sm text-slate-600">This is your own account: you cannot rename or block it, or remove your admin rights, from here.</p>
          )}
          <EditUserForm
            user={u.name}
            csrf={viewer.csrfToken}
            self={self}
            admin={u.admin}
            blocked={!!u.blockedAt}
            namedServerLimit={u.namedServerLimit}
            hubNamedServerLimit={u.hubNamedServerLimit}
            activeServers={u.servers.filter((s) => ["pending", "starting", "running", "stopping"].includes(s.state)).length}
          />
        </Card>
      </div>

      <Card className="mt-6" padded={false}>
        <h2 className="px-6 pt-5 text-lg font-semibold">Servers</h2>
        {u.servers.length === 0 ? (
          <p className="px-6 pb-5 pt-2 text-sm text-slate-500">No servers yet.</p>
        ) : (
          <div className="mt-3 overflow-x-auto">
            <table className="w-full min-w-[60rem] text-left text-sm" data-testid="user-servers">
              <thead className="border-y border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  {["Server", "State", "Where", "Profile", "Started", "Last activity", "Logs", "Actions"].map((h) => (
                    <th key={h} scope="col" className="px-4 py-2 font-medium">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {u.servers.map((s) => (
                  <tr key={s.name} data-testid={`user-server-${s.name || "default"}`} className="border-b border-slate-100 align-top last:border-0">
                    <th scope="row" className="px-4 py-3 font-mono font-normal">
                      {s.name || "default"}
                    </th>
                    <td className="px-4 py-3">
                      <StateBadge state={s.state} />
                      {s.message && <p className="mt-1 max-w-xs text-xs text-slate-600">{s.message}</p>}
                    </td>
                    <td className="px-4 py-3">
                      <ServerWhere details={s.details} testId={`server-where-${s.name || "default"}`} />
                      {s.details?.job && <JobDetailsView job={s.details.job} nowMs={renderTimeMs()} testId={`job-details-${s.name || "default"}`} />}
                    </td>
                    <td className="px-4 py-3">{s.profile ?? "—"}</td>
                    <td className="px-4 py-3" title={formatDateTime(s.startedAt)}>
                      {s.startedAt ? formatAgo(s.startedAt, now) : "—"}
                    </td>
                    <td className="px-4 py-3" title={formatDateTime(s.lastActivity)}>
                      {formatAgo(s.lastActivity, now)}
                    </td>
                    <td className="px-4 py-3">
                      {s.hasProgress || s.hasLog ? (
                        <Link
                          href={`/admin/users/${encodeURIComponent(u.name)}/log${s.name ? `?server=${encodeURIComponent(s.name)}` : ""}`}
                          className="text-sky-800 hover:underline"
                        >
                          progress and log
                        </Link>
                      ) : (
                        "—"
                      )}
                    </td>
                    <td className="px-4 py-3">
                      <ServerActions user={u.name} server={s.name} state={s.state} csrf={viewer.csrfToken} blocked={!!u.blockedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <Card className="mt-6">
        <h2 className="text-lg font-semibold">Usage, last 30 days</h2>
        {u.usage.length === 0 ? (
          <p className="mt-2 text-sm text-slate-500">No server runs in the last 30 days.</p>
        ) : (
          <table className="mt-3 w-full text-left text-sm" data-testid="user-usage">
            <thead className="border-b border-slate-200 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                {["Server", "Runs", "Server hours", "CPU hours", "Peak memory", "Source"].map((h) => (
                  <th key={h} scope="col" className="py-2 pr-4 font-medium">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {u.usage.map((t) => (
                <tr key={t.key} data-testid={`user-usage-${t.key || "default"}`} className="border-b border-slate-100 last:border-0">
                  <th scope="row" className="py-2 pr-4 font-mono font-normal">
                    {t.key || "default"}
                  </th>
                  <td className="py-2 pr-4">{t.runs}</td>
                  <td className="py-2 pr-4">{formatHours(t.serverHours)}</td>
                  <td className="py-2 pr-4" data-testid={`user-usage-cpu-${t.key || "default"}`}>
                    {formatHours(t.cpuHours)}
                  </td>
                  <td className="py-2 pr-4">{formatBytes(t.peakMemoryBytes)}</td>
                  <td className="py-2 pr-4">
                    {t.sources.join(", ") || "—"}
                    {t.provisional ? " (still running or not final)" : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {u.blockedAt && (
        <div className="mt-6">
          <Notice kind="info">
            {u.name} is blocked: they cannot sign in (with a password or GitHub), their API tokens are refused and their servers cannot start.
          </Notice>
        </div>
      )}
    </PageFrame>
  );
}
