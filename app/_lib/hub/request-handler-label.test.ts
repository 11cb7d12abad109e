import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { ROUTE_TEMPLATES, requestHandlerLabel } from "./request-handler-label";

test("requests are labelled by their route template; names, ids and invented paths never become labels", () => {
  assert.equal(requestHandlerLabel("/hub/api/users"), "/hub/api/users");
  assert.equal(requestHandlerLabel("/hub/api/users/alice"), "/hub/api/users/[name]");
  assert.equal(requestHandlerLabel("/hub/api/users/alice/"), "/hub/api/users/[name]");
  assert.equal(requestHandlerLabel("/hub/api/users/alice/server"), "/hub/api/users/[name]/server");
  assert.equal(requestHandlerLabel("/hub/api/users/alice/servers/gpu/progress"), "/hub/api/users/[name]/servers/[server]/progress");
  assert.equal(requestHandlerLabel("/hub/api/users/alice/tokens/a12"), "/hub/api/users/[name]/tokens/[id]");
  assert.equal(requestHandlerLabel("/hub/api/no/such/thing"), "/hub/api/[...path]");
  assert.equal(requestHandlerLabel("/hub/spawn"), "/hub/spawn/[[...path]]");
  assert.equal(requestHandlerLabel("/hub/spawn/alice/gpu"), "/hub/spawn/[[...path]]");
  assert.equal(requestHandlerLabel("/hub/_next/static/chunks/x.js"), "/hub/_next/[...path]");
  assert.equal(requestHandlerLabel("/hub/metrics"), "/hub/metrics");
  assert.equal(requestHandlerLabel("/hub/made-up-page-123"), "other");
  assert.equal(requestHandlerLabel("/user/alice/lab"), "other");
});

test("every route and page file of the app has its template (a new route is labelled, not 'other')", () => {
  const root = join(process.cwd(), "app");
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith("_") || e.name === "node_modules") continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === "route.ts" || e.name === "page.tsx") files.push(p);
    }
  };
  walk(root);
  assert.ok(files.length > 40, `found ${files.length} route and page files`);
  for (const f of files) {
    const rel = relative(root, join(f, "..")).split(sep).filter(Boolean);
    const template = "/hub" + (rel.length ? "/" + rel.join("/") : "");
    assert.ok(ROUTE_TEMPLATES.includes(template), `${relative(process.cwd(), f)}: add ${template} to ROUTE_TEMPLATES`);
  }
});
