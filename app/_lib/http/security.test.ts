import { test } from "node:test";
import assert from "node:assert/strict";
import { isSameOrigin } from "./security";

const pub = "http://hub.example:8000";

test("same-origin requests pass, cross-site ones do not", () => {
  assert.equal(isSameOrigin({ origin: "http://hub.example:8000", host: "hub.example:8000" }, pub), true);
  assert.equal(isSameOrigin({ origin: "http://127.0.0.1:9000", host: "127.0.0.1:9000" }, pub), true);
  assert.equal(isSameOrigin({ origin: "http://evil.example", host: "hub.example:8000" }, pub), false);
  assert.equal(isSameOrigin({ origin: "null", host: "hub.example:8000" }, pub), false);
  assert.equal(isSameOrigin({ referer: "http://hub.example:8000/hub/home", host: "hub.example:8000" }, pub), true);
  assert.equal(isSameOrigin({ referer: "http://evil.example/x", host: "hub.example:8000" }, pub), false);
  assert.equal(isSameOrigin({ host: "hub.example:8000" }, pub), false);
  assert.equal(isSameOrigin({ host: "hub.example:8000", authorization: "token abc" }, pub), true);
});
