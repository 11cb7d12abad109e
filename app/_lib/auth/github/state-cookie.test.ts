import { test } from "node:test";
import assert from "node:assert/strict";
import { checkState, deriveStateKey, issueState, STATE_MAX_AGE_SECONDS } from "./state-cookie";

const key = deriveStateKey("x".repeat(40));

test("the state matches only its own signed, unexpired cookie", () => {
  const { state, cookie } = issueState(key, "/hub/spawn", 1000);
  assert.deepEqual(checkState(key, cookie, state, 1001), { next: "/hub/spawn" });
  assert.equal(checkState(key, cookie, state + "x", 1001), null, "other state");
  assert.equal(checkState(key, undefined, state, 1001), null, "no cookie (another browser)");
  assert.equal(checkState(key, cookie, state, 1000 + STATE_MAX_AGE_SECONDS + 1), null, "expired");
  assert.equal(checkState(deriveStateKey("y".repeat(40)), cookie, state, 1001), null, "other key");
  const [payload] = cookie.split(".");
  assert.equal(checkState(key, `${payload}.AAAA`, state, 1001), null, "forged signature");
  const other = issueState(key, "/", 1000);
  assert.equal(checkState(key, other.cookie, state, 1001), null, "cookie of another attempt");
});
