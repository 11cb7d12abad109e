// The page the proxy (and the hub's Express side) shows browsers for its own refusals and for
// servers it cannot reach: styled like the hub's pages, self-contained (no external assets). Pure.

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Sign-in required",
  403: "Access denied",
  404: "Not found",
  405: "Method not allowed",
  413: "Request too large",
  502: "Bad gateway",
  503: "Server not available",
  504: "Server did not answer in time",
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const HOME = [{ href: "/hub/home", label: "Back to the hub" }];

/** A small self-contained HTML page (no external assets) with links on (default: back to /hub/home). */
export function renderErrorPage(status: number, message: string, links: ReadonlyArray<{ href: string; label: string }> = HOME): string {
  const title = TITLES[status] ?? "Error";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${status} ${escapeHtml(title)} · Gyre</title>
<link rel="icon" href="/hub/favicon.svg" type="image/svg+xml">
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f5f7fa;color:#1f2933;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:2.5rem 3rem;max-width:34rem}
h1{font-size:1.4rem;margin:0 0 .5rem}p{line-height:1.5;color:#52606d}.code{color:#9aa5b1;font-size:.9rem}
a.button{display:inline-block;margin-top:1rem;background:#2563eb;color:#fff;text-decoration:none;padding:.6rem 1.2rem;border-radius:8px}
a.second{background:#fff;color:#2563eb;border:1px solid #2563eb}
</style></head>
<body><main><div class="code">${status}</div><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>
${links.map((l, i) => `<a class="button${i ? " second" : ""}" href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a>`).join(" ")}</main></body></html>
`;
}
