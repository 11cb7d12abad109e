// GET /hub/launch-badge.svg – the "Launch on Gyre" badge that launch links carry in READMEs
export const dynamic = "force-static";

const BADGE = `<svg xmlns="http://www.w3.org/2000/svg" width="112" height="20" role="img" aria-label="Launch on Gyre">
<title>Launch on Gyre</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="112" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="55" height="20" fill="#555"/><rect x="55" width="57" height="20" fill="#0369a1"/><rect width="112" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="27.5" y="14">launch</text><text x="83.5" y="14">on Gyre</text></g>
</svg>
`;

export function GET(): Response {
  return new Response(BADGE, { headers: { "content-type": "image/svg+xml; charset=utf-8", "cache-control": "public, max-age=86400" } });
}
