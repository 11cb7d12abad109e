// The consent page of the OAuth provider: which service wants to know who the user is, with a form
// that posts the decision back with the session's CSRF token. Pure: every value is HTML-escaped.

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export interface ConsentPage {
  service: string;
  user: string;
  clientId: string;
  redirectUri: string;
  state: string | null;
  /** the session's CSRF token (sessions.ts), checked when the form comes back */
  csrf: string;
}

/** The name of the form field that carries the CSRF token. */
export const CONSENT_CSRF_FIELD = "_xsrf";

export function renderConsentPage(p: ConsentPage): string {
  const hidden = (name: string, value: string) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize ${esc(p.service)}</title></head>
<body>
<main>
<h1>Authorize access</h1>
<p>The service <strong>${esc(p.service)}</strong> asks to identify you as <strong>${esc(p.user)}</strong> and to let you use it.</p>
<form method="post" action="/hub/api/oauth2/authorize">
${hidden("client_id", p.clientId)}
${hidden("redirect_uri", p.redirectUri)}
${hidden("response_type", "code")}
${p.state !== null ? hidden("state", p.state) : ""}
${hidden(CONSENT_CSRF_FIELD, p.csrf)}
<button type="submit">Authorize</button>
</form>
<p><a href="/hub/home">Cancel</a></p>
</main>
</body></html>
`;
}
