// /hub/admin/announcement – the banner every hub page shows: its text and an optional end.
import type { Metadata } from "next";
import { requireCurrentAdmin } from "@/app/_lib/auth/current-user";
import { getRuntime } from "@/app/_lib/runtime";
import { MAX_ANNOUNCEMENT_LENGTH, readAnnouncement } from "@/app/_lib/announcement";
import { PageFrame } from "@/app/_components/page-frame";
import { Card } from "@/app/_components/ui";
import { AdminNav } from "@/app/admin/_components/admin-nav";
import { AnnouncementForm } from "./announcement-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Announcement · Admin" };

export default async function AnnouncementPage() {
  const viewer = await requireCurrentAdmin("/admin/announcement");
  const current = await readAnnouncement(getRuntime().db, new Date());
  return (
    <PageFrame user={viewer}>
      <AdminNav current="announcement" />
      <Card>
        <h1 className="text-xl font-semibold">Announcement</h1>
        <p className="mt-1 text-sm text-slate-600">A banner on top of every hub page, e.g. for planned maintenance. Times are UTC.</p>
        <AnnouncementForm csrf={viewer.csrfToken} current={current} maxLength={MAX_ANNOUNCEMENT_LENGTH} />
      </Card>
    </PageFrame>
  );
}
