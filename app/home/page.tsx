// /hub/home – the signed-in user's servers: status, start/stop, and the way in.
import type { Metadata } from "next";
import { requireCurrentUser } from "../_lib/auth/current-user";
import { getRuntime } from "../_lib/runtime";
import { PageFrame } from "../_components/page-frame";
import { Card, Notice, StateBadge } from "../_components/ui";
import { firstParam, type SearchParams } from "../_components/search-params";
import { serverPublicPath } from "../_components/hub-fetch";
import { ServerPanel } from "./server-panel";
import { NamedServerActions, NewNamedServerForm } from "./named-servers";
import { getSpawnForm } from "../_lib/servers/spawn-form";
import { serverDescriber } from "../_lib/servers/details";
import { JobDetailsView } from "../_components/job-details-view";
import { renderTimeMs } from "../_lib/clock";
import { userUrl } from "@/proxy/origins/origin-plan";
import { sharedWithUser } from "../_lib/shares/shares";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Home" };

export default async function HomePage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requireCurrentUser("/home");
  const q = await searchParams;
  const servers = await getRuntime().db.server.findMany({ where: { userId: user.id }, orderBy: { name: "asc" } });
  const def = servers.find((s) => s.name === "");
  const named = servers.filter((s) => s.name !== "");
  // A spawner with choices (profiles, bounds): Start leads to the spawn form instead of starting.
  const hasForm = !!(await getSpawnForm(getRuntime(), user.name, ""));
  // the batch job behind a server (queue reason, node, time left), as of this render
  const describe = serverDescriber(getRuntime().catalog);
  const nowMs = renderTimeMs();
  // On the user's own origin in per-user mode (absolute), else a path on this one.
  const serverUrl = (server: string) => userUrl(getRuntime().origins, user.name, serverPublicPath(user.name, server));
  const { db, config } = getRuntime();
  const limit =
    (await db.user.findUnique({ where: { id: user.id }, select: { namedServerLimit: true } }))?.namedServerLimit ?? config.hub.namedServerLimitPerUser;
  // servers others share with the user (directly or through a group), and who the user's own are shared with
  const sharedWithMe = await sharedWithUser(db, user.id);
  const mySharesOut = await db.share.findMany({
    where: { server: { userId: user.id } },
    include: { server: { select: { name: true } }, user: { select: { name: true } }, group: { select: { name: true } } },
    orderBy: { id: "asc" },
  });
  const serverLabel = (name: string) => (name ? `server “${name}”` : "default server");
  return (
    <PageFrame user={user}>
      <div className="space-y-6">
        {firstParam(q.error) === "admin-only" && <Notice kind="error">The admin page is only for admins.</Notice>}
        {firstParam(q.logout) === "confirm" && (
          <Notice kind="info" testId="logout-confirm">
            You are still signed in to the hub: a link from another page cannot log you out. To log out, use Log out at the top of this page.
          </Notice>
        )}
        <Card>
          <h1 className="text-xl font-semibold">Your server</h1>
          <p className="mt-1 text-sm text-slate-600">
            A Jupyter server of your own, reachable at <span data-testid="server-url">{serverUrl("")}</span>.
          </p>
          <div className="mt-5">
            <ServerPanel
              user={user.name}
              server=""
              state={def?.state ?? "stopped"}
              message={def?.message ?? null}
              logTail={def?.logTail ?? null}
              csrf={user.csrfToken}
              startWithForm={hasForm}
              serverUrl={serverUrl("")}
            />
            {def && describe(def)?.job && (
              <div className="mt-4">
                <JobDetailsView job={describe(def)!.job!} nowMs={nowMs} />
              </div>
            )}
          </div>
        </Card>
        {(limit > 0 || named.length > 0) && (
          <Card>
            <h2 className="text-lg font-semibold">Named servers</h2>
            <p className="mt-1 text-sm text-slate-600">More servers of your own, each with its own name and settings (at most {limit}).</p>
            {named.length > 0 && (
              <table className="mt-4 w-full text-left text-sm" data-testid="named-servers">
                <thead className="border-b border-slate-200 text-xs uppercase tracking-wide text-slate-500">
                  <tr>
                    {["Name", "State", "Profile", "Link", "Actions"].map((h) => (
                      <th key={h} scope="col" className="py-2 pr-4 font-medium">
                        {h}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {named.map((s) => (
                    <tr key={s.name} data-testid={`named-server-${s.name}`} className="border-b border-slate-100 last:border-0">
                      <td className="py-2 pr-4 font-mono">{s.name}</td>
                      <td className="py-2 pr-4">
                        <StateBadge state={s.state} testId={`named-state-${s.name}`} />
                        {s.state === "failed" && s.message && <span className="ml-2 text-xs text-red-700">{s.message}</span>}
                        {describe(s)?.job && <JobDetailsView job={describe(s)!.job!} nowMs={nowMs} testId={`job-details-${s.name}`} />}
                      </td>
                      <td className="py-2 pr-4">{s.profile ?? "—"}</td>
                      <td className="py-2 pr-4">
                        {s.state === "running" ? (
                          <a href={`${serverUrl(s.name)}tree`} data-testid={`open-named-${s.name}`} className="text-sky-700 underline">
                            Open
                          </a>
                        ) : (
                          <span className="text-slate-400">—</span>
                        )}
                      </td>
                      <td className="py-2">
                        <NamedServerActions user={user.name} server={s.name} state={s.state} csrf={user.csrfToken} startWithForm={hasForm} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <NewNamedServerForm user={user.name} csrf={user.csrfToken} startWithForm={hasForm} left={limit - named.length} />
          </Card>
        )}
        {(sharedWithMe.length > 0 || mySharesOut.length > 0) && (
          <Card>
            <h2 className="text-lg font-semibold">Sharing</h2>
            {sharedWithMe.length > 0 && (
              <>
                <h3 className="mt-3 text-sm font-semibold text-slate-700">Shared with me</h3>
                <ul className="mt-2 space-y-1 text-sm" data-testid="shared-with-me">
                  {sharedWithMe.map((s) => (
                    <li key={s.id}>
                      <a
                        href={userUrl(getRuntime().origins, s.server.user.name, serverPublicPath(s.server.user.name, s.server.name))}
                        data-testid={`shared-with-me-${s.server.user.name}-${s.server.name}`}
                        className="text-sky-700 underline"
                      >
                        {s.server.user.name}&apos;s {serverLabel(s.server.name)}
                      </a>{" "}
                      <span className="text-slate-500">
                        {s.group ? `through the group ${s.group.name}` : "shared with you"}
                        {s.server.state === "running" ? "" : " — not running; only its owner can start it"}
                      </span>
                    </li>
                  ))}
                </ul>
              </>
            )}
            {mySharesOut.length > 0 && (
              <>
                <h3 className="mt-3 text-sm font-semibold text-slate-700">My servers shared with others</h3>
                <ul className="mt-2 space-y-1 text-sm" data-testid="shared-by-me">
                  {mySharesOut.map((s) => (
                    <li key={s.id}>
                      Your {serverLabel(s.server.name)} with {s.user ? `${s.user.name}` : `the group ${s.group!.name}`}
                    </li>
                  ))}
                </ul>
                <p className="mt-2 text-xs text-slate-500">
                  Share and revoke through the REST API: <span className="font-mono">/hub/api/shares/{user.name}/…</span> and share links through{" "}
                  <span className="font-mono">/hub/api/share-codes/{user.name}/…</span>.
                </p>
              </>
            )}
          </Card>
        )}
        {getRuntime().config.launch.enabled && (
          <p className="text-sm">
            <a href="/hub/launch" data-testid="launch-a-repository" className="text-sky-700 underline">
              Launch a repository
            </a>{" "}
            <span className="text-slate-500">— a link (and README badge) that opens a repository in a server of whoever clicks it.</span>
          </p>
        )}
      </div>
    </PageFrame>
  );
}
