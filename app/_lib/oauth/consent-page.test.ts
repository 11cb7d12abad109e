import assert from "node:assert/strict";
import { test } from "node:test";
import { renderConsentPage } from "./consent-page";

const page = {
  service: "dash",
  user: "alice",
  clientId: "service-dash",
  redirectUri: "/services/dash/oauth_callback",
  state: `"><script>alert(1)</script>`,
  scope: "read:users!user <b>",
  scopes: ["access:services!service=dash", "read:users!user=alice"],
  csrf: "c5rf",
};

test("the consent page names the client, the user and the scopes, posts back with the CSRF token and the request's scope, offers Authorize and Deny, and escapes everything", () => {
  const html = renderConsentPage(page);
  assert.match(html, /<form method="post" action="\/hub\/api\/oauth2\/authorize">/);
  assert.match(html, /<input type="hidden" name="_xsrf" value="c5rf">/);
  assert.match(html, /<input type="hidden" name="client_id" value="service-dash">/);
  assert.match(html, /<input type="hidden" name="scope" value="read:users!user &lt;b&gt;">/);
  assert.match(html, /<strong>dash<\/strong> \(OAuth client <code>service-dash<\/code>\) asks to identify you as <strong>alice<\/strong>/);
  assert.match(html, /<li><code>access:services!service=dash<\/code><\/li>\n<li><code>read:users!user=alice<\/code><\/li>/);
  assert.match(html, /<button type="submit" name="decision" value="allow">Authorize<\/button>/);
  assert.match(html, /<button type="submit" name="decision" value="deny">Deny<\/button>/);
  assert.ok(!html.includes("<script>"), "state is escaped");
  assert.match(html, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  const bare = renderConsentPage({ ...page, state: null, scope: null });
  assert.ok(!bare.includes('name="state"') && !bare.includes('name="scope"'));
});
