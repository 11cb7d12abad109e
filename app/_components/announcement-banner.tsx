// The admin's announcement (app/_lib/announcement.ts) at the top of every hub page. Renders
// nothing without a hub runtime (pages prerendered at build time, error pages) or a banner.
import { hasRuntime, getRuntime } from "../_lib/runtime";
import { currentAnnouncement } from "../_lib/announcement";
import { formatDateTime } from "./format";

export async function AnnouncementBanner() {
  if (!hasRuntime()) return null;
  let a;
  try {
    a = await currentAnnouncement(getRuntime().db, new Date());
  } catch {
    return null; // a page must still render when the banner cannot be read
  }
  if (!a) return null;
  return (
    <div role="region" aria-label="Announcement" data-testid="announcement" className="border-b border-amber-300 bg-amber-50 text-amber-950">
      <p className="mx-auto max-w-7xl whitespace-pre-line px-4 py-2 text-sm">
        {a.text}
        {a.expiresAt && <span className="ml-2 text-xs text-amber-800">(until {formatDateTime(a.expiresAt)})</span>}
      </p>
    </div>
  );
}
