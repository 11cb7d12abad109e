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
