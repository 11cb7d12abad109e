import assert from "node:assert/strict";
import { test } from "node:test";
import { formatHours } from "./format";

test("hours: small amounts keep two significant digits, so seconds of CPU time never read as none", () => {
  assert.equal(formatHours(0), "0");
  assert.equal(formatHours(10 / 3600), "0.0028");
  assert.equal(formatHours(0.0001), "0.00010");
  assert.equal(formatHours(0.00001), "< 0.0001");
  assert.equal(formatHours(0.25), "0.25");
  assert.equal(formatHours(3.42), "3.4");
  assert.equal(formatHours(128.4), "128");
});
