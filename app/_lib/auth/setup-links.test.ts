import assert from "node:assert/strict";
import { test } from "node:test";
import { resetPurpose } from "./reset-links";
import { INITIAL_ADMIN_PURPOSE, judgeSetupLink } from "./setup-links";

const now = new Date("2026-12-03T12:00:00Z");
const later = new Date("2026-12-04T12:00:00Z");
const earlier = new Date("2026-12-02T12:00:00Z");

test("a token the database never held is an invalid link, explained as a password link once an admin exists", () => {
  assert.deepEqual(judgeSetupLink({ row: null, adminExists: true, now }), { verdict: "expired", resetFor: null, explainAsReset: true });
  // before setup, an unknown link is a bad setup link (restarting the hub prints a new one)
  assert.deepEqual(judgeSetupLink({ row: null, adminExists: false, now }), { verdict: "expired", resetFor: null, explainAsReset: false });
});

test("the first-run link: usable until an admin exists, then 'setup is complete'; used or expired before that", () => {
  const row = { purpose: INITIAL_ADMIN_PURPOSE, usedAt: null, expiresAt: later };
  assert.equal(judgeSetupLink({ row, adminExists: false, now }).verdict, "usable");
  assert.equal(judgeSetupLink({ row, adminExists: true, now }).verdict, "done");
  assert.equal(judgeSetupLink({ row: { ...row, usedAt: earlier }, adminExists: true, now }).verdict, "done");
  assert.equal(judgeSetupLink({ row: { ...row, expiresAt: earlier }, adminExists: false, now }).verdict, "expired");
});

test("a reset link: usable once and until it expires, whether or not an admin exists", () => {
  const row = { purpose: resetPurpose("ada"), usedAt: null, expiresAt: later };
  assert.deepEqual(judgeSetupLink({ row, adminExists: true, now }), { verdict: "usable", resetFor: "ada", explainAsReset: true });
  assert.equal(judgeSetupLink({ row: { ...row, usedAt: earlier }, adminExists: true, now }).verdict, "expired");
  assert.equal(judgeSetupLink({ row: { ...row, expiresAt: now }, adminExists: true, now }).verdict, "expired");
});

test("a row with another purpose never opens the form", () => {
  const row = { purpose: "something-else", usedAt: null, expiresAt: later };
  assert.equal(judgeSetupLink({ row, adminExists: false, now }).verdict, "expired");
  assert.equal(judgeSetupLink({ row, adminExists: true, now }).verdict, "expired");
});
