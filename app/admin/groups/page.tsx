// /hub/admin/groups – every group (made here, or a GitHub team), and the open one (?open=name):
// members, JSON properties, the spawn profiles it unlocks; create, rename, delete, add and remove
// members. A GitHub team's members and name are GitHub's (set again at each member's login), so
// the page offers no hand edits of them and says why.
import type { Metadata } from "next";
import Link from "next/link";
import { requireCurrentAdmin } from "@/app/_lib/auth/current-user";
import { getRuntime } from "@/app/_lib/runtime";
import { GITHUB_GROUP_RULE, getGroup, listGroups, type GroupDetail } from "@/app/_lib/groups/groups";
import { HttpError } from "@/app/_lib/http/errors";
import { profilesUnlockedBy } from "@/spawners/spawn-options";
import { PageFrame } from "@/app/_components/page-frame";
import { Card, Notice } from "@/app/_components/ui";
import { firstParam, type SearchParams } from "@/app/_components/search-params";
import { AdminNav } from "../_components/admin-nav";
import { CreateGroupForm, GroupEditor } from "./group-editor";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Groups · Admin" };

/** Members listed on the page; the users view filtered by the group shows them all. */
const MEMBERS_SHOWN = 500;

export default async function GroupsPage({ searchParams }: { searchParams: SearchParams }) {
  const q = await searchParams;
  const open = firstParam(q.open);
  const viewer = await requireCurrentAdmin(`/admin/groups${open ? `?open=${encodeURIComponent(open)}` : ""}`);
  const rt = getRuntime();
  const groups = await listGroups(rt.db);
  let group: GroupDetail | null = null;
  let missing = false;
  if (open) {
    try {
      group = await getGroup(rt.db, open);
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 404) throw err;
      missing = true;
    }
  }
  const source = { catalog: rt.catalog, kind: rt.config.spawner.kind, config: rt.config.spawner };
  const unlocked = group ? profilesUnlockedBy(source, group.name) : [];
  return (
    <PageFrame user={viewer} wide>
      <AdminNav current="groups" />
      <h1 className="text-xl font-semibold">Groups</h1>
      {missing && (
        <div className="mt-3">
          <Notice kind="error" testId="group-missing">
            There is no group named {open}.
          </Notice>
        </div>
      )}
      <div className="mt-4 grid gap-6 lg:grid-cols-[20rem_1fr]">
        <div className="space-y-6">
          <Card padded={false}>
            <ul data-testid="groups-list" className="divide-y divide-slate-100 text-sm">
              {groups.length === 0 && <li className="px-4 py-3 text-slate-500">No groups yet.</li>}
              {groups.map((g) => (
                <li key={g.name}>
                  <Link
                    href={`/admin/groups?open=${encodeURIComponent(g.name)}`}
                    aria-current={g.name === group?.name ? "page" : undefined}
                    data-testid={`group-link-${g.name}`}
                    className={`flex items-center justify-between gap-2 px-4 py-2 hover:bg-slate-50 ${g.name === group?.name ? "bg-sky-50 font-medium" : ""}`}
                  >
                    <span className="truncate">{g.name}</span>
                    <span className="shrink-0 text-xs text-slate-500">
                      {g.source === "github" ? "GitHub · " : ""}
                      {g.members} member{g.members === 1 ? "" : "s"}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          </Card>
          <CreateGroupForm csrf={viewer.csrfToken} />
        </div>
        {group ? (
          <Card>
            <div className="flex flex-wrap items-baseline justify-between gap-2">
              <h2 className="text-lg font-semibold" data-testid="group-name">
                {group.name}
              </h2>
              <span data-testid="group-source" className="text-sm text-slate-600">
                {group.source === "github" ? "GitHub team" : "made on this hub"}
              </span>
            </div>
            {group.source === "github" && (
              <div className="mt-3">
                <Notice kind="info" testId="github-group-rule">
                  {GITHUB_GROUP_RULE} Its properties can be set here.
                </Notice>
              </div>
            )}
            <h3 className="mt-5 text-sm font-semibold text-slate-700">Profiles this group unlocks</h3>
            <p className="mt-1 text-sm" data-testid="group-profiles">
              {unlocked.length ? unlocked.map((p) => p.display).join(", ") : "None: no spawn profile is limited to this group."}
            </p>
            <GroupEditor
              key={group.name}
              csrf={viewer.csrfToken}
              name={group.name}
              github={group.source === "github"}
              properties={JSON.stringify(group.properties, null, 2)}
              members={group.memberNames.slice(0, MEMBERS_SHOWN)}
              memberCount={group.members}
            />
            {group.members > MEMBERS_SHOWN && (
              <p className="mt-2 text-sm text-slate-600">
                Showing {MEMBERS_SHOWN} of {group.members}.{" "}
              </p>
            )}
            <p className="mt-2 text-sm">
              <Link href={`/admin?group=${encodeURIComponent(group.name)}`} className="text-sky-800 hover:underline">
                Members in the users view (search, bulk actions)
              </Link>
            </p>
          </Card>
        ) : (
          <Card>
            <p className="text-sm text-slate-600">Pick a group to see its members and properties, or create one.</p>
          </Card>
        )}
      </div>
    </PageFrame>
  );
}
