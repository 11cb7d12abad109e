// A group made through the admin API unlocks the spawn profiles limited to it: its members see
// them on the spawn form and may start with them; others may not. Real SQLite, the batch kind's
// own form code (no scheduler is called: nothing is started).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { getSpawnForm } from "@/app/_lib/servers/spawn-form";
import { requestStart } from "@/app/_lib/servers/commands";
import { profilesUnlockedBy } from "@/spawners/spawn-options";
import * as groups from "@/app/api/admin/groups/route";
import * as members from "@/app/api/admin/groups/[name]/members/route";

let hub: TestHub;
let adminToken: string;

before(async () => {
  hub = await startTestHub({
    catalog: SPAWNER_KINDS,
    config: {
      spawner: {
        kind: "batch",
        batch: {
          scheduler: "slurm",
          profiles: [
            { name: "small", display: "1 core, 1 h", queue: "debug", walltimeSeconds: 3600 },
            { name: "medium", display: "4 cores, 4 h", queue: "debug", cores: 4, walltimeSeconds: 4 * 3600 },
            { name: "gpu", display: "GPU node", queue: "gpu", cores: 8, gpus: 1, groups: ["ocean"] },
          ],
        },
      },
    },
  });
  const boss = await hub.db.user.create({ data: { name: "boss", admin: true } });
  adminToken = (await createApiToken(hub.db, boss.id, {})).token;
  await hub.db.user.createMany({ data: [{ name: "ana" }, { name: "ben" }] });
});
after(async () => {
  await hub.close();
});

function asAdmin(handler: (req: Request, ctx: never) => Promise<Response>, path: string, body: unknown, params: Record<string, string> = {}) {
  return handler(
    new Request(`http://hub${path}`, {
      method: "POST",
      headers: { authorization: `token ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    { params: Promise.resolve(params) } as never,
  );
}

const profileNames = async (user: string) => ((await getSpawnForm(hub.rt, user, ""))?.form.profiles ?? []).map((p) => p.name);

test("a new group's members get the profile limited to it; others do not", async () => {
  assert.deepEqual((await profileNames("ana")).sort(), ["medium", "small"]);
  assert.equal((await asAdmin(groups.POST, "/hub/api/admin/groups", { name: "ocean" })).status, 201);
  assert.equal((await asAdmin(members.POST, "/hub/api/admin/groups/ocean/members", { users: ["ana"] }, { name: "ocean" })).status, 200);
  assert.deepEqual((await profileNames("ana")).sort(), ["gpu", "medium", "small"]);
  assert.deepEqual((await profileNames("ben")).sort(), ["medium", "small"]);
  assert.deepEqual(
    profilesUnlockedBy({ catalog: hub.rt.catalog, kind: "batch", config: hub.rt.config.spawner }, "ocean").map((p) => p.name),
    ["gpu"],
  );
  const ben = await hub.db.user.findUniqueOrThrow({ where: { name: "ben" } });
  await assert.rejects(requestStart(hub.db, ben.id, "", { profile: "gpu" }), /profile/);
  const ana = await hub.db.user.findUniqueOrThrow({ where: { name: "ana" } });
  assert.equal(await requestStart(hub.db, ana.id, "", { profile: "gpu" }), "requested");
  assert.equal((await hub.db.server.findFirstOrThrow({ where: { userId: ana.id } })).profile, "gpu");
});
