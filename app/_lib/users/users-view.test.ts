import { test } from "node:test";
import assert from "node:assert/strict";
import { ZodError } from "zod";
import { buildMatchingQuery, buildUsersQuery, escapeLike, parseUsersView, sortDirection, usersViewQuery, DEFAULT_VIEW } from "./users-view";

test("the default view is the bare URL, and a view survives a round trip through its URL", () => {
  assert.equal(usersViewQuery(DEFAULT_VIEW), "");
  const url = "q=ali&match=prefix&state=running&admin=no&blocked=yes&group=climate&profile=large&sort=activity&dir=asc&page=3&size=100";
  const { view } = parseUsersView(new URLSearchParams(url), { lenient: false });
  assert.equal(usersViewQuery(view), `?${url}`);
  assert.deepEqual(parseUsersView(new URLSearchParams(usersViewQuery(view)), { lenient: false }).view, view);
});

test("a sort's natural direction is not written to the URL; name sorts up, the others down", () => {
  assert.equal(sortDirection({ sort: "name" }), "asc");
  assert.equal(sortDirection({ sort: "usage" }), "desc");
  const { view } = parseUsersView({ sort: "activity", dir: "desc" }, { lenient: false });
  assert.equal(usersViewQuery(view), "?sort=activity");
});

test("strict parsing (the REST API) names the bad field; lenient (the page) drops it and says which", () => {
  assert.throws(
    () => parseUsersView({ size: "7" }, { lenient: false }),
    (err: unknown) => err instanceof ZodError && err.issues[0].path[0] === "size",
  );
  const { view, ignored } = parseUsersView({ size: "7", sort: "shoe-size", q: "Bob" }, { lenient: true });
  assert.deepEqual(ignored.sort(), ["size", "sort"]);
  assert.equal(view.size, 50);
  assert.equal(view.sort, "name");
  assert.equal(view.q, "bob", "names are lower case");
});

test("LIKE wildcards in a search are matched literally", () => {
  assert.equal(escapeLike("a_b%c\\"), "a\\_b\\%c\\\\");
  const { page } = buildUsersQuery({ view: parseUsersView({ q: "a_b" }, { lenient: false }).view, dialect: "sqlite" });
  assert.match(page.sql, /LIKE \? ESCAPE '\\'/);
  assert.equal(page.params[0], "%a\\_b%");
});

test("a prefix search also bounds the name so the unique name index is walked", () => {
  const { page } = buildUsersQuery({ view: parseUsersView({ q: "hana", match: "prefix" }, { lenient: false }).view, dialect: "postgres" });
  assert.match(page.sql, /u\."name" LIKE \$1 ESCAPE '\\' AND u\."name" >= \$2 AND u\."name" < \$3/);
  assert.deepEqual(page.params.slice(0, 3), ["hana%", "hana", "hana\uffff"]);
});

test("placeholders are numbered in order on PostgreSQL and the page is LIMIT/OFFSET", () => {
  const view = parseUsersView({ q: "x", admin: "yes", group: "g", profile: "big", page: "3", size: "25" }, { lenient: false }).view;
  const { page, count } = buildUsersQuery({ view, dialect: "postgres", groupId: 9 });
  const numbers = [...page.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
  assert.deepEqual(
    numbers,
    numbers.map((_, i) => i + 1),
  );
  assert.deepEqual(page.params, ["%x%", true, 9, "big", 25, 50]);
  assert.deepEqual(count.params, ["%x%", true, 9, "big"]);
  assert.doesNotMatch(count.sql, /LIMIT|ORDER/);
});

test("an unknown group finds nobody (id -1), rather than everybody", () => {
  const view = parseUsersView({ group: "nope" }, { lenient: false }).view;
  const { page } = buildUsersQuery({ view, dialect: "sqlite", groupId: null });
  assert.ok(page.params.includes(-1));
});

test("only the sorts that need the servers join them; users without a value sort last", () => {
  for (const sort of ["name", "activity", "usage"] as const) {
    const { page } = buildUsersQuery({ view: { ...DEFAULT_VIEW, sort }, dialect: "sqlite" });
    assert.doesNotMatch(page.sql, /JOIN/, sort);
  }
  const { page } = buildUsersQuery({ view: { ...DEFAULT_VIEW, sort: "started" }, dialect: "sqlite" });
  assert.match(page.sql, /LEFT JOIN .* ORDER BY s\."started" DESC NULLS LAST, u\."name" ASC/);
});

test("state filters: inactive is the complement of active", () => {
  const q = (state: string) => buildMatchingQuery({ view: parseUsersView({ state }, { lenient: false }).view, dialect: "sqlite" }).sql;
  assert.match(q("active"), /u\."id" IN \(SELECT "userId" FROM "Server" WHERE "state" IN \('pending', 'starting', 'running', 'stopping'\)\)/);
  assert.match(q("inactive"), /u\."id" NOT IN \(SELECT "userId" FROM "Server" WHERE "state" IN \('pending', 'starting', 'running', 'stopping'\)\)/);
  assert.match(q("running"), /"state" = 'running'/);
});
