// /hub/admin – control panel: users, their rights and their servers.
import type { Metadata } from "next";
import { requireCurrentAdmin } from "../_lib/auth/current-user";
import { getRuntime } from "../_lib/runtime";
import { listUserModels } from "@/app/_lib/users/queries";
import { serverDescriber } from "@/app/_lib/servers/details";
import { renderTimeMs } from "@/app/_lib/clock";
import { PageFrame } from "../_components/page-frame";
import { AdminUsers } from "./admin-users";
import { serverPublicPath } from "../_components/hub-fetch";
import { userUrl } from "@/proxy/origins/origin-plan";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Admin" };

export default async function AdminPage() {
  const viewer = await requireCurrentAdmin("/admin");
  const { db, config, catalog, origins } = getRuntime();
  const { total, items } = await listUserModels(db, { allServers: true, limit: 200, describe: serverDescriber(catalog) });
  return (
    <PageFrame user={viewer}>
      <h1 className="text-xl font-semibold">Admin</h1>
      <p className="mt-1 text-sm text-slate-600">
        {total} user{total === 1 ? "" : "s"}
        {total > items.length ? ` (showing the first ${items.length})` : ""}.
      </p>
      <div className="mt-6">
        <AdminUsers
          users={items}
          viewer={viewer.name}
          csrf={viewer.csrfToken}
          minPasswordLength={config.auth.local.minPasswordLength}
          nowMs={renderTimeMs()}
          serverUrls={Object.fromEntries(items.map((u) => [u.name, userUrl(origins, u.name, serverPublicPath(u.name, ""))]))}
        />
      </div>
    </PageFrame>
  );
}
