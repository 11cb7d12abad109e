// The `roles:` section: JupyterHub's roles (c.JupyterHub.load_roles): named sets of scopes assigned
// to users, groups and services. The built-in roles (user, admin, server, token) are Gyre's own and
// cannot be redefined here; they are listed in app/_lib/auth/roles.ts.
import { z } from "zod";
import { isRoleScope } from "@/app/_lib/auth/roles";

/** Role names as JupyterHub's: lower case, start with a letter. */
export const ROLE_NAME = /^[a-z][a-z0-9_.~-]{0,63}$/;

/** JupyterHub's default roles: what they grant is Gyre's, not configurable (docs/jupyterhub-compat.md). */
export const BUILT_IN_ROLE_NAMES = ["user", "admin", "server", "token"] as const;

export const roleSchema = z
  .object({
    name: z
      .string()
      .regex(ROLE_NAME, "must start with a lower-case letter, then up to 63 lower-case letters, digits, '-', '_', '.' or '~'")
      .refine((n) => !(BUILT_IN_ROLE_NAMES as readonly string[]).includes(n), "is a built-in role (user, admin, server, token); choose another name")
      .describe("The role's name (shown in the roles of user, group and service models; tokens may be created with it)."),
    description: z.string().max(500).default("").describe("What the role is for."),
    scopes: z
      .array(z.string())
      .min(1)
      .superRefine((list, ctx) => {
        const bad = list.filter((s) => !isRoleScope(s));
        if (bad.length)
          ctx.addIssue({
            code: "custom",
            message: `unknown scopes: ${bad.join(", ")} (JupyterHub's names with filters, "self", or a bare !user / !server / !service filter the scope takes; see docs/jupyterhub-compat.md)`,
          });
        if (list.includes("inherit")) ctx.addIssue({ code: "custom", message: "inherit is a token's scope, not a role's: name the scopes" });
      })
      .describe(
        "JupyterHub scope names the role grants, with filters (e.g. read:users!group=ocean, servers!group=ocean, list:users); `self` is the holder's own resources, a bare `!user` filter the holding user (access:servers!user), a bare `!service` the holding service.",
      ),
    users: z.array(z.string().min(1)).default([]).describe("User names the role is assigned to."),
    groups: z.array(z.string().min(1)).default([]).describe("Groups whose members have the role."),
    services: z.array(z.string().min(1)).default([]).describe("Services (names in `services:`) whose tokens have the role's scopes."),
  })
  .strict();

export type RoleConfig = z.infer<typeof roleSchema>;

export const rolesSectionSchema = z
  .array(roleSchema)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${r.name}" is the name of an earlier role; names must be unique` });
      seen.add(r.name);
    });
  })
  .describe("JupyterHub-style roles: named scope sets assigned to users, groups and services (see docs/jupyterhub-compat.md).");
