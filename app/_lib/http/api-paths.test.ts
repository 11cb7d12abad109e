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
    // sharing: an empty last segment is the default server, not the owner's list
    ["/hub/api/shares/alice/", "/hub/api/shares/alice/_default_"],
    ["/hub/api/share-codes/alice/", "/hub/api/share-codes/alice/_default_"],
    ["/hub/api/users/bob/shared/alice/", "/hub/api/users/bob/shared/alice/_default_"],
    ["/hub/api/groups/team/shared/alice/", "/hub/api/groups/team/shared/alice/_default_"],
    ["/hub/api/shares/alice/gpu/", "/hub/api/shares/alice/gpu"],
    ["/hub/api/users/bob/shared/", "/hub/api/users/bob/shared"],
    ["/hub/api/shares/alice", "/hub/api/shares/alice"],
    // untouched: no trailing slash, or not the REST API
    ["/hub/api", "/hub/api"],
    ["/hub/api/users/alice/servers", "/hub/api/users/alice/servers"],
    ["/hub/home/", "/hub/home/"],
    ["/user/alice/servers/", "/user/alice/servers/"],
    ["/hub/apiary/", "/hub/apiary/"],
  ];
  for (const [path, want] of cases) assert.equal(canonicalApiPath(path), want, path);
});
