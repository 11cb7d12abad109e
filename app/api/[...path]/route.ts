// /hub/api/<anything not handled by a more specific route> – a JSON 404 (never the HTML page), for
// every method, so API clients get an answer they can parse.
export const dynamic = "force-dynamic";

function notFound(req: Request): Response {
  // Next hands route handlers the path without its basePath (/hub).
  const raw = new URL(req.url).pathname;
  const path = raw.startsWith("/hub/") ? raw : `/hub${raw}`;
  return Response.json({ status: 404, message: `Not found: ${req.method} ${path} is not part of the hub's REST API.` }, { status: 404 });
}

export const GET = notFound;
export const HEAD = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
export const OPTIONS = notFound;
