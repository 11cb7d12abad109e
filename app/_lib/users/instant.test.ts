// asInstant: date columns as the hot reads get them from SQLite or PostgreSQL, turned into the
// user models' ISO text ("…Z") — the stored text directly, anything else through a Date.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isoText } from "@/app/_lib/servers/models";
import { asInstant } from "./queries";

test("Prisma's stored UTC text becomes the model's text without a Date; it equals what a Date would give", () => {
  assert.equal(asInstant("2026-12-04T19:13:00.123+00:00"), "2026-12-04T19:13:00.123Z");
  assert.equal(asInstant("2026-12-04T19:13:00.000Z"), "2026-12-04T19:13:00.000Z");
  for (const ms of [0, 1, 999, 86_399_999, 951_782_400_000, 1_796_411_669_356, 4_102_444_800_000]) {
    const stored = new Date(ms).toISOString().replace("Z", "+00:00");
    assert.equal(asInstant(stored), new Date(ms).toISOString(), stored);
  }
});

test("other forms go through a Date: epoch milliseconds, other zones, text without milliseconds; a Date stays itself", () => {
  const d = new Date("2026-12-04T19:13:00.123Z");
  assert.equal(asInstant(d), d);
  assert.equal(isoText(asInstant(d.getTime())!), "2026-12-04T19:13:00.123Z");
  assert.equal(isoText(asInstant("2026-12-04T20:13:00.123+01:00")!), "2026-12-04T19:13:00.123Z");
  assert.equal(isoText(asInstant("2026-12-04T19:13:00Z")!), "2026-12-04T19:13:00.000Z");
  assert.equal(asInstant(null), null);
  assert.equal(asInstant(undefined), null);
});
