// The announcement banner an admin sets for every hub page (maintenance notices). One row; an
// expired one is not shown and is replaced by the next. Pages read it through a short cache, so
// showing it costs no query per page view.
import { z } from "zod";
import type { Db } from "./db/types";
import { HttpError } from "./http/errors";

export const MAX_ANNOUNCEMENT_LENGTH = 500;

/** PUT /hub/api/admin/announcement */
export const announcementSchema = z
  .object({
    text: z.string().trim().min(1, "the text is empty").max(MAX_ANNOUNCEMENT_LENGTH),
    /** ISO time after which the banner disappears; absent or null: until removed */
    expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
  })
  .strict();

export interface Announcement {
  text: string;
  expiresAt: string | null;
  updatedAt: string;
  updatedBy: string;
}

/** How long pages may show a banner that was changed meanwhile. */
const CACHE_MS = 2000;
const KEY = Symbol.for("gyre.announcement.cache");
type Cache = { at: number; value: Announcement | null };
type Holder = { [KEY]?: Cache };

/** The banner (null: none, or expired), as stored. */
export async function readAnnouncement(db: Db, now: Date): Promise<Announcement | null> {
  const row = await db.announcement.findUnique({ where: { id: 1 } });
  if (!row || (row.expiresAt && row.expiresAt <= now)) return null;
  return { text: row.text, expiresAt: row.expiresAt?.toISOString() ?? null, updatedAt: row.updatedAt.toISOString(), updatedBy: row.updatedBy };
}

/** The banner for a page view: read at most every CACHE_MS per hub process. */
export async function currentAnnouncement(db: Db, now: Date): Promise<Announcement | null> {
  // On globalThis: the Express entry and the Next bundle have their own copies of this module.
  const holder = globalThis as Holder;
  const cached = holder[KEY];
  if (cached && now.getTime() - cached.at < CACHE_MS && (!cached.value?.expiresAt || new Date(cached.value.expiresAt) > now)) return cached.value;
  const value = await readAnnouncement(db, now);
  holder[KEY] = { at: now.getTime(), value };
  return value;
}

export async function setAnnouncement(db: Db, input: z.infer<typeof announcementSchema>, actor: string, now: Date): Promise<Announcement> {
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt <= now) throw new HttpError(400, "expiresAt: the time is in the past, so the banner would never show.");
  const data = { text: input.text, expiresAt, updatedBy: actor };
  await db.announcement.upsert({ where: { id: 1 }, create: { id: 1, ...data }, update: data });
  delete (globalThis as Holder)[KEY];
  return (await readAnnouncement(db, now)) ?? { text: input.text, expiresAt: expiresAt?.toISOString() ?? null, updatedAt: now.toISOString(), updatedBy: actor };
}

export async function clearAnnouncement(db: Db): Promise<void> {
  await db.announcement.deleteMany({});
  delete (globalThis as Holder)[KEY];
}
