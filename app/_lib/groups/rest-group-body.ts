// Request bodies of JupyterHub's group write API (its apihandlers/groups.py): a group model
// carries only `users` (and `name`, `roles`); other keys are a 400, as in JupyterHub. Pure.
import { z } from "zod";
import { HttpError } from "@/app/_lib/http/errors";
import { NAME_MAX_LENGTH, normalizeUsername } from "@/app/_lib/users/names";

const userNames = z.array(z.string().min(1).max(NAME_MAX_LENGTH)).max(1000);

/** A group model in a request: `roles` only empty (Gyre's groups carry no roles). */
const GroupModelBody = z
  .object({ name: z.string().optional(), users: userNames.optional(), roles: z.array(z.string()).max(0, "Gyre's groups carry no roles.").optional() })
  .strict();

/** POST /groups/{name}: an optional model; the members, normalised. */
export function parseCreateGroupBody(body: unknown): { users: string[] } {
  const m = GroupModelBody.parse(body ?? {});
  return { users: (m.users ?? []).map(normalizeUsername) };
}

/** POST /groups: {groups: [...], users?: [...]}; at least one group. */
export function parseCreateGroupsBody(body: unknown): { groups: string[]; users: string[] } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpError(400, "Must specify at least one group to create.");
  const { groups, ...model } = body as Record<string, unknown>;
  const names = z.array(z.string()).max(1000).safeParse(groups);
  if (!names.success || names.data.length === 0) throw new HttpError(400, "Must specify at least one group to create.");
  return { groups: names.data, users: parseCreateGroupBody(model).users };
}

/** POST/DELETE /groups/{name}/users: {users: [...]}. */
export function parseGroupUsersBody(body: unknown, verb: "add" | "delete"): string[] {
  if (typeof body !== "object" || body === null || Array.isArray(body) || !("users" in body)) throw new HttpError(400, `Must specify users to ${verb}.`);
  const m = GroupModelBody.parse(body);
  return (m.users ?? []).map(normalizeUsername);
}
