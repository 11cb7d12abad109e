import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalApiPath } from "./api-paths";

test("REST paths with trailing slashes are served at the route's own path; the empty server name is the default server", () => {
  const cases: Array<[string, string]> = [
    ["/hub/api/", "/hub/api"],
    ["/hub/api//", "/hub/api"],
    ["/hub/api/users/", "/hub/api/users"],
    ["/hub/api/users/alice/", "/hub/api/users/alice"],
    ["/hub/api/users/alice/servers/", "/hub/api/users/alice/server"],
    ["/hub/api/users/alice/servers/gpu/", "/hub/api/users/alice/servers/gpu"],
    ["/hub/api/users/alice/server/", "/hub/api/users/alice/server"],
    // untouched: no trailing slash, or not the REST API
    ["/hub/api", "/hub/api"],
    ["/hub/api/users/alice/servers", "/hub/api/users/alice/servers"],
    ["/hub/home/", "/hub/home/"],
    ["/user/alice/servers/", "/user/alice/servers/"],
    ["/hub/apiary/", "/hub/apiary/"],
  ];
  for (const [path, want] of cases) assert.equal(canonicalApiPath(path), want, path);
});
