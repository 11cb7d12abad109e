import assert from "node:assert/strict";
import { test } from "node:test";
import { renderConsentPage } from "./consent-page";

test("the consent page names the service and the user, posts back with the CSRF token, and escapes everything", () => {
  const html = renderConsentPage({
    service: "dash",
    user: "alice",
    clientId: "service-dash",
    redirectUri: "/services/dash/oauth_callback",
    state: `"><script>alert(1)</script>`,
    csrf: "c5rf",
  });
  assert.match(html, /<form method="post" action="\/hub\/api\/oauth2\/authorize">/);
  assert.match(html, /<input type="hidden" name="_xsrf" value="c5rf">/);
  assert.match(html, /<input type="hidden" name="client_id" value="service-dash">/);
  assert.match(html, /<strong>dash<\/strong> asks to identify you as <strong>alice<\/strong>/);
  assert.ok(!html.includes("<script>"), "state is escaped");
  assert.match(html, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  assert.ok(!renderConsentPage({ service: "d", user: "a", clientId: "c", redirectUri: "/r", state: null, csrf: "x" }).includes('name="state"'));
});
