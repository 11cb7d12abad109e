import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import type { Db } from "../db/types";
import { HubReplica } from "./replica";

test("a heartbeat interval over half the lease time is refused, naming both options", () => {
  const opts = { db: {} as Db, log: pino({ level: "silent" }) };
  assert.throws(
    () => new HubReplica({ ...opts, leaseSeconds: 15, heartbeatSeconds: 8 }),
    /hub\.replicaHeartbeatSeconds \(8\).*hub\.replicaLeaseSeconds \(15\)/,
  );
  assert.ok(new HubReplica({ ...opts, leaseSeconds: 15, heartbeatSeconds: 5 }).id.includes(`-${process.pid}-`));
});
