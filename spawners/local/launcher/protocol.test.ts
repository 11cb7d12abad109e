import { test } from "node:test";
import assert from "node:assert/strict";
import { checkRequest, type LauncherIdentity } from "./protocol";

const root: LauncherIdentity = { uid: 0, tmpDir: "/tmp", setprivPath: "/usr/bin/setpriv" };
const user: LauncherIdentity = { ...root, uid: 1000 };
const spawnAs = (uid: number, gid = uid) => ({
  type: "spawn",
  id: 7,
  file: "/usr/bin/setpriv",
  args: [`--reuid=${uid}`, `--regid=${gid}`, "--init-groups", "--", "/usr/bin/jupyter", "server"],
  env: { HOME: "/home/u", GYRE_SPAWN_ID: "s1" },
  cwd: "/home/u",
  logFile: "/var/lib/gyre/logs/u.log",
});
const direct = { ...spawnAs(1000), file: "/usr/bin/jupyter", args: ["server"] };

test("accepted: a root launcher's setpriv to an account other than root; a non-root launcher's command as itself; removals of the hub's dirs", () => {
  for (const [message, self] of [
    [spawnAs(1001), root],
    [direct, user],
    [{ type: "remove", id: 3, dir: "/tmp/gyre-rt-ana-Ab12Cd", uid: 1001, gid: 1001 }, root],
    [{ type: "remove", id: 4, dir: "/tmp/gyre-agent-ana.b-x9Y8z7", uid: 1001, gid: 100 }, root],
    [
      { type: "remove", id: 5, dir: "/scratch/tmp/gyre-rt-ana-Ab12Cd", uid: 1001, gid: 1001 },
      { ...root, tmpDir: "/scratch/tmp/" },
    ],
  ] as const) {
    const checked = checkRequest(message, self);
    assert.ok(checked.ok, JSON.stringify(checked));
    assert.deepEqual(checked.request, message);
  }
});

test("refused, with the request's id when it has one: malformed messages, root servers, removals as root or outside the hub's dirs", () => {
  const cases: Array<[unknown, LauncherIdentity, number | null, RegExp]> = [
    [null, root, null, /not an object/],
    ["spawn", root, null, /not an object/],
    [[1, 2], root, null, /not an object/],
    [{ type: "spawn" }, root, null, /no request id/],
    [{ ...direct, id: -1 }, user, null, /no request id/],
    [{ ...direct, id: 1.5 }, user, null, /no request id/],
    [{ type: "exec", id: 2 }, root, 2, /unknown request type "exec"/],
    [{ ...direct, file: "jupyter" }, user, 7, /absolute/],
    [{ ...direct, args: "server" }, user, 7, /args/],
    [{ ...direct, args: ["server", 1] }, user, 7, /args/],
    [{ ...direct, env: { A: 1 } }, user, 7, /env/],
    [{ ...direct, env: { "A=B": "c" } }, user, 7, /bad name/],
    [{ ...direct, cwd: "home" }, user, 7, /cwd/],
    [{ ...direct, logFile: undefined }, user, 7, /logFile/],
    [{ ...direct, args: ["server", "a\0b"] }, user, 7, /NUL/],
    // a root launcher never leaves a process running as root
    [direct, root, 7, /only through setpriv/],
    [spawnAs(0), root, 7, /only through setpriv/],
    [spawnAs(1001, 0), root, 7, /only through setpriv/],
    [{ ...spawnAs(1001), file: "/tmp/setpriv" }, root, 7, /only through setpriv/],
    [{ ...spawnAs(1001), args: ["--reuid=1001", "--regid=1001", "--keep-groups", "--", "x"] }, root, 7, /only through setpriv/],
    [{ ...spawnAs(1001), args: ["--reuid=1001", "--regid=1001", "--init-groups", "--"] }, root, 7, /only through setpriv/],
    [{ ...spawnAs(1001), args: ["--regid=1001", "--reuid=1001", "--init-groups", "--", "x"] }, root, 7, /only through setpriv/],
    // removals
    [{ type: "remove", id: 3, dir: "/tmp/gyre-rt-ana-Ab12Cd", uid: 0, gid: 0 }, root, 3, /uid/],
    [{ type: "remove", id: 3, dir: "/tmp/gyre-rt-ana-Ab12Cd", uid: "1001", gid: 1001 }, root, 3, /uid/],
    [{ type: "remove", id: 3, dir: "/tmp/gyre-rt-ana-Ab12Cd", uid: 1001, gid: 0 }, root, 3, /gid/],
    [{ type: "remove", id: 3, dir: "/etc", uid: 1001, gid: 1001 }, root, 3, /runtime directories/],
    [{ type: "remove", id: 3, dir: "/tmp", uid: 1001, gid: 1001 }, root, 3, /runtime directories/],
    [{ type: "remove", id: 3, dir: "/tmp/gyre-rt-ana-Ab12Cd/../../etc", uid: 1001, gid: 1001 }, root, 3, /runtime directories/],
    [{ type: "remove", id: 3, dir: "/tmp/x/gyre-rt-ana-Ab12Cd", uid: 1001, gid: 1001 }, root, 3, /runtime directories/],
    [{ type: "remove", id: 3, dir: "/tmp/gyre-rt-ana-Ab12C", uid: 1001, gid: 1001 }, root, 3, /runtime directories/],
    [{ type: "remove", id: 3, dir: "/tmp/home-Ab12Cd", uid: 1001, gid: 1001 }, root, 3, /runtime directories/],
    [{ type: "remove", id: 3, dir: ["/tmp/gyre-rt-ana-Ab12Cd"], uid: 1001, gid: 1001 }, root, 3, /dir/],
  ];
  for (const [message, self, id, reason] of cases) {
    const checked = checkRequest(message, self);
    assert.ok(!checked.ok, `${JSON.stringify(message)} must be refused`);
    assert.equal(checked.id, id, JSON.stringify(message));
    assert.match(checked.reason, reason, JSON.stringify(message));
  }
});
