// The consent page of the OAuth provider: which client wants to know who the user is and with
// which scopes, with a form that posts the decision (Authorize or Deny) back with the session's
// CSRF token. Pure: every value is HTML-escaped.

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export interface ConsentPage {
  /** who asks: a service's name, "Server alice/gpu" */
  service: string;
  user: string;
  clientId: string;
  redirectUri: string;
  state: string | null;
  /** the request's own `scope` parameter, posted back so the decision is made on the same request */
  scope: string | null;
  /** the scopes the token will carry (grantScopes) */
  scopes: readonly string[];
  /** the session's CSRF token (sessions.ts), checked when the form comes back */
  csrf: string;
}

/** The name of the form field that carries the CSRF token. */
export const CONSENT_CSRF_FIELD = "_xsrf";
/** The form field of the decision: "allow", or "deny" (the client gets error=access_denied). */
export const CONSENT_DECISION_FIELD = "decision";

export function renderConsentPage(p: ConsentPage): string {
  const hidden = (name: string, value: string) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;
  const scopes = p.scopes.map((s) => `<li><code>${esc(s)}</code></li>`).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize ${esc(p.service)}</title></head>
<body>
<main>
<h1>Authorize access</h1>
<p><strong>${esc(p.service)}</strong> (OAuth client <code>${esc(p.clientId)}</code>) asks to identify you as <strong>${esc(p.user)}</strong> and to act with these scopes:</p>
<ul class="scopes">
${scopes}
</ul>
<form method="post" action="/hub/api/oauth2/authorize">
${hidden("client_id", p.clientId)}
${hidden("redirect_uri", p.redirectUri)}
${hidden("response_type", "code")}
${p.state !== null ? hidden("state", p.state) : ""}
${p.scope !== null ? hidden("scope", p.scope) : ""}
${hidden(CONSENT_CSRF_FIELD, p.csrf)}
<button type="submit" name="${CONSENT_DECISION_FIELD}" value="allow">Authorize</button>
<button type="submit" name="${CONSENT_DECISION_FIELD}" value="deny">Deny</button>
</form>
</main>
</body></html>
`;
}
