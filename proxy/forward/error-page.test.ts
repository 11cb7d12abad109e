import { test } from "node:test";
import assert from "node:assert/strict";
import { renderErrorPage } from "./error-page";

test("error page links back to the hub and escapes the message", () => {
  const html = renderErrorPage(503, "alice's server <b>is</b> down");
  assert.match(html, /href="\/hub\/home"/);
  assert.match(html, /Server not available/);
  assert.match(html, /alice&#39;s server &#60;b&#62;is&#60;\/b&#62; down/);
  assert.doesNotMatch(html, /<b>is/);
});

test("refusals get their own titles, not a generic proxy error", () => {
  assert.match(renderErrorPage(403, "You do not have access to bob's server."), /<h1>Access denied<\/h1>/);
  assert.match(renderErrorPage(404, "x"), /<h1>Not found<\/h1>/);
  assert.match(renderErrorPage(413, "x"), /<title>413 Request too large · Gyre<\/title>/);
  assert.match(renderErrorPage(403, "x"), /favicon\.svg/);
});
