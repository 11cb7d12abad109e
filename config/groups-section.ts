// The `groups:` section: groups declared in the config (JupyterHub's c.JupyterHub.load_groups),
// made or brought up to date at each hub start by app/_lib/groups/load-groups.ts.
import { z } from "zod";
import { validateUsername } from "@/app/_lib/users/names";

/**
 * Names of groups made on the hub: a letter or digit first, then letters, digits, ".", "_", "-",
 * at most 64. ":" is left to GitHub teams ("org:team-slug"), so the two never collide.
 */
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Properties: a JSON object, at most this long once serialised. */
export const MAX_PROPERTIES_BYTES = 16_384;

export const groupSchema = z
  .object({
    name: z
      .string()
      .regex(GROUP_NAME_PATTERN, "must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit (':' is left to GitHub teams)")
      .describe("The group's name."),
    users: z
      .array(z.string())
      .default([])
      .superRefine((names, ctx) => {
        for (const n of names) {
          try {
            validateUsername(n);
          } catch (err) {
            ctx.addIssue({ code: "custom", message: (err as Error).message });
          }
        }
      })
      .describe(
        "Members (user names; ASCII capitals are lower-cased, as at login). Users that do not exist are created, without a password (they sign in through GitHub, or an admin sets one), as JupyterHub's load_groups does. Members are only added: removing a name here does not take the user out of the group.",
      ),
    properties: z
      .record(z.string(), z.unknown())
      .refine((p) => JSON.stringify(p).length <= MAX_PROPERTIES_BYTES, `at most ${MAX_PROPERTIES_BYTES} bytes as JSON`)
      .optional()
      .describe(
        "The group's properties (a JSON object, for spawners and services). Given: they replace the group's properties at each start. Unset: left as they are.",
      ),
  })
  .strict();

export type GroupConfig = z.infer<typeof groupSchema>;

export const groupsSectionSchema = z
  .array(groupSchema)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((g, i) => {
      if (seen.has(g.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${g.name}" is the name of an earlier group; names must be unique` });
      seen.add(g.name);
    });
  })
  .describe(
    "Groups made or brought up to date at each hub start (JupyterHub's load_groups): missing groups, users and memberships are created, given properties set. Nothing is removed (a group or member left out of the list stays; remove it in the admin panel or the REST API).",
  );
