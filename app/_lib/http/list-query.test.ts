import { test } from "node:test";
import assert from "node:assert/strict";
import { HttpError } from "./errors";
import { flagParam, nextPage, parseUserListQuery, requestOrigin } from "./list-query";

const q = (s: string) => new URLSearchParams(s);

test("user list query: JupyterHub's defaults, limits and sort keys; bad values are a 400 naming the parameter", () => {
  assert.deepEqual(parseUserListQuery(q(""), true), {
    state: undefined,
    offset: 0,
    limit: 50,
    sort: { field: "id", descending: false },
    includeStoppedServers: false,
  });
  assert.equal(parseUserListQuery(q(""), false).limit, 200);
  assert.equal(parseUserListQuery(q("limit=5000"), true).limit, 200);
  assert.equal(parseUserListQuery(q("limit=0"), true).limit, 1);
  assert.deepEqual(parseUserListQuery(q("sort=-last_activity"), true).sort, { field: "last_activity", descending: true });
  assert.equal(parseUserListQuery(q("state=inactive&offset=7"), true).offset, 7);
  for (const [bad, name] of [
    ["offset=-1", "offset"],
    ["limit=1.5", "limit"],
    ["state=running", "state"],
    ["sort=-password", "sort"],
    ["sort=--name", "sort"],
  ]) {
    assert.throws(
      () => parseUserListQuery(q(bad), true),
      (e) => e instanceof HttpError && e.status === 400 && e.message.includes(name),
      bad,
    );
  }
});

test("flag parameters: present means yes, unless it says no", () => {
  assert.equal(flagParam(q("include_stopped_servers"), "include_stopped_servers"), true);
  assert.equal(flagParam(q("include_stopped_servers=1"), "include_stopped_servers"), true);
  assert.equal(flagParam(q("include_stopped_servers=false"), "include_stopped_servers"), false);
  assert.equal(flagParam(q(""), "include_stopped_servers"), false);
});

test("the next page keeps the request's origin, path and other parameters; none after the last", () => {
  const next = nextPage({ origin: "http://10.0.0.5:8081", path: "/hub/api/users", query: q("state=ready&limit=2"), offset: 0, limit: 2, total: 3 });
  assert.deepEqual(next, { offset: 2, limit: 2, url: "http://10.0.0.5:8081/hub/api/users?state=ready&limit=2&offset=2" });
  assert.equal(nextPage({ origin: "http://h", path: "/hub/api/users", query: q(""), offset: 2, limit: 2, total: 4 }), null);
  assert.equal(requestOrigin(new Headers({ host: "127.0.0.1:8081" })), "http://127.0.0.1:8081");
  assert.equal(
    requestOrigin(new Headers({ host: "hub:8081", "x-forwarded-host": "gyre.example.org", "x-forwarded-proto": "https" })),
    "https://gyre.example.org",
  );
  assert.equal(requestOrigin(new Headers({ host: "hub", "x-forwarded-proto": "javascript" })), "http://hub", "only http or https");
});
