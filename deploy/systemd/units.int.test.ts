// The systemd units as systemd reads them: `systemd-analyze verify` (syntax, known keys, the
// ExecStart binary) and `systemd-analyze security --offline` (the hardening that applies), plus
// the commands they run against the ones the repository uses, so they cannot drift. The units
// are started by a real systemd in units.boot.int.test.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { execa } from "execa";
import { PROXY_ENV, PROXY_NODE_FLAGS } from "@/proxy/node-flags";
import { HUB_ENV, HUB_NODE_FLAGS } from "@/app/node-flags";
import { HUB_BUNDLE } from "@/app/hub-command";

const UNITS = ["deploy/systemd/gyre-hub.service", "deploy/systemd/gyre-proxy.service"];
const unit = (path: string) => readFileSync(path, "utf8");
const key = (text: string, k: string) => [...text.matchAll(new RegExp(`^${k}=(.*)$`, "gm"))].map((m) => m[1]);

test("systemd-analyze verify accepts both units", async () => {
  const r = await execa("systemd-analyze", ["verify", ...UNITS], { reject: false });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stderr.trim(), "", "no warnings");
});

test("the proxy is fully hardened; the hub keeps only what sudo and the local spawner need", async () => {
  const exposure = async (u: string) => {
    const r = await execa("systemd-analyze", ["security", "--offline=true", "--no-pager", u]);
    return Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1]);
  };
  assert.ok((await exposure(UNITS[1])) <= 2, "proxy exposure");
  assert.ok((await exposure(UNITS[0])) <= 9, "hub exposure");
  const hub = unit(UNITS[0]);
  assert.deepEqual(key(hub, "NoNewPrivileges"), [], "NoNewPrivileges would stop sudo");
  // each of these makes systemd set NoNewPrivileges for a service that is not root
  for (const implied of [
    "ProtectHostname",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectClock",
    "RestrictRealtime",
    "RestrictNamespaces",
    "LockPersonality",
    "RestrictAddressFamilies",
    "SystemCallArchitectures",
    "SystemCallFilter",
    "MemoryDenyWriteExecute",
    "RestrictSUIDSGID",
    "PrivateDevices",
  ])
    assert.deepEqual(key(hub, implied), [], `${implied} implies NoNewPrivileges, which would stop sudo`);
  assert.deepEqual(key(hub, "PrivateTmp"), [], "local servers share the users' /tmp");
  assert.deepEqual(key(hub, "KillMode"), ["process"], "a hub restart leaves the servers it started");
  assert.deepEqual(key(unit(UNITS[1]), "NoNewPrivileges"), ["yes"]);
});

test("the units run what the repository runs: the hub and proxy bundles with their node flags and environment", () => {
  const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;
  assert.match(scripts.build, /tsx scripts\/build-hub\.ts/, "npm run build makes the hub's bundle");
  const hub = unit(UNITS[0]);
  assert.deepEqual(key(hub, "ExecStart"), [["/usr/bin/node", ...HUB_NODE_FLAGS, HUB_BUNDLE].join(" ")]);
  for (const [k, v] of Object.entries(HUB_ENV)) assert.ok(key(hub, "Environment").includes(`${k}=${v}`), k);
  const proxy = unit(UNITS[1]);
  assert.deepEqual(key(proxy, "ExecStart"), [`/usr/bin/node ${PROXY_NODE_FLAGS.join(" ")} dist/proxy/main.mjs`]);
  for (const [k, v] of Object.entries(PROXY_ENV)) assert.ok(key(proxy, "Environment").includes(`${k}=${v}`), k);
});
