import { test } from "node:test";
import assert from "node:assert/strict";
import { addressKey, loginLimitKeys, loginSuccessKey } from "./login-limits";

const limits = { loginAttemptsPerWindow: 5, loginAttemptsPerAddress: 50, loginAttemptsPerName: 20 };

test("an attempt counts per name and address, per address, and per name from everywhere unless the browser is known", () => {
  assert.deepEqual(loginLimitKeys({ name: "admin", address: "203.0.113.9", limits }), [
    { key: "login:pair:admin|203.0.113.9", limit: 5 },
    { key: "login:addr:203.0.113.9", limit: 50 },
    { key: "login:name:admin", limit: 20 },
  ]);
  assert.deepEqual(loginLimitKeys({ name: "admin", address: "203.0.113.9", deviceId: "d1", limits })[2], { key: "login:device:d1", limit: 5 });
  assert.equal(loginSuccessKey("admin", "::ffff:203.0.113.9"), "login:pair:admin|203.0.113.9");
});

test("addresses as counted: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 per /64 (table-driven)", () => {
  const cases: Array<[address: string, key: string]> = [
    ["203.0.113.9", "203.0.113.9"],
    ["::ffff:203.0.113.9", "203.0.113.9"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002::", "2001:db8:1:2::/64"],
    ["::1", "::/64"],
    ["not an address", "not an address"],
  ];
  for (const [address, key] of cases) assert.equal(addressKey(address), key, address);
});
