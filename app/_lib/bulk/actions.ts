// What an admin can do to many users at once, and the request that asks for it. Pure.
import { z } from "zod";
import { usersViewSchema } from "@/app/_lib/users/users-view";
import { NAME_MAX_LENGTH } from "@/app/_lib/users/names";

/** The actions, with what the control panel needs to offer them. */
export const BULK_ACTIONS = {
  start: { label: "Start default server", destructive: false, needsGroup: false },
  stop: { label: "Stop all servers", destructive: true, needsGroup: false },
  "revoke-sessions": { label: "Log out everywhere", destructive: true, needsGroup: false },
  "add-to-group": { label: "Add to group", destructive: false, needsGroup: true },
  "remove-from-group": { label: "Remove from group", destructive: false, needsGroup: true },
  block: { label: "Block", destructive: true, needsGroup: false },
  unblock: { label: "Unblock", destructive: false, needsGroup: false },
  delete: { label: "Delete users", destructive: true, needsGroup: false },
} as const;

export type BulkAction = keyof typeof BULK_ACTIONS;
export const BULK_ACTION_NAMES = Object.keys(BULK_ACTIONS) as [BulkAction, ...BulkAction[]];

/** The most users one bulk action may name explicitly (a filter may match any number). */
export const MAX_LISTED_USERS = 1000;

/**
 * POST /hub/api/admin/bulk-jobs. The users are either listed or "every user the filter matches"
 * (the users view's query fields, sort and page ignored). Destructive actions need
 * `confirm: true`; a filter also needs `expectedCount`, the number of users the admin was shown,
 * so that users who came to match meanwhile are not acted on unseen.
 */
export const bulkRequestSchema = z
  .object({
    action: z.enum(BULK_ACTION_NAMES),
    group: z.string().min(1).max(128).optional(),
    users: z.array(z.string().min(1).max(NAME_MAX_LENGTH)).min(1).max(MAX_LISTED_USERS).optional(),
    filter: usersViewSchema.partial().optional(),
    expectedCount: z.number().int().min(0).optional(),
    confirm: z.boolean().optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!r.users === !r.filter) ctx.addIssue({ code: "custom", path: ["users"], message: 'give either "users" or "filter"' });
    if (BULK_ACTIONS[r.action].needsGroup && !r.group) ctx.addIssue({ code: "custom", path: ["group"], message: `"${r.action}" needs a group` });
    if (BULK_ACTIONS[r.action].destructive && r.confirm !== true)
      ctx.addIssue({ code: "custom", path: ["confirm"], message: `"${r.action}" cannot be undone: send "confirm": true once the admin has confirmed` });
    if (r.filter && r.expectedCount === undefined)
      ctx.addIssue({ code: "custom", path: ["expectedCount"], message: "acting on a filter needs the number of users the admin saw" });
  });

export type BulkRequest = z.infer<typeof bulkRequestSchema>;

/** One item's outcome, as the progress view shows it. */
export type ItemStatus = "pending" | "ok" | "failed" | "skipped";
