import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { collectApiRouteMethods, renderApiRouteMethods, TABLE_FILE } from "./gen-api-route-methods";
import { API_ROUTE_METHODS } from "@/app/_lib/http/api-route-methods";
import { ROUTE_TEMPLATES } from "@/app/_lib/hub/request-handler-label";

test("the REST API's method table is the route files' own exports (npm run gen:api-methods)", async () => {
  const routes = await collectApiRouteMethods();
  assert.ok(Object.keys(routes).length > 40, `found ${Object.keys(routes).length} route files`);
  for (const [template, methods] of Object.entries(routes))
    assert.deepEqual(API_ROUTE_METHODS[template], methods, `${template}: exports ${methods.join(", ")} (npm run gen:api-methods)`);
  assert.deepEqual(Object.keys(API_ROUTE_METHODS), Object.keys(routes), "a route in the table that has no file, or the other way round");
  assert.equal(readFileSync(TABLE_FILE, "utf8"), renderApiRouteMethods(routes));
});

test("every route in the table has its template, so a request's path finds its methods", () => {
  for (const template of Object.keys(API_ROUTE_METHODS)) assert.ok(ROUTE_TEMPLATES.includes(template), template);
});
