// Tests' way of calling a Next route handler directly, as Next would: the path without the /hub
// basePath, the token as JupyterHub clients send it, a JSON body.
export type RouteHandler<Q> = (req: Request, ctx: { params: Promise<Q> }) => Promise<Response>;

/** Calls a route handler as Next does (the path without the /hub basePath). */
export async function callRoute<Q>(
  handler: RouteHandler<Q>,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; params?: Q; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { host: "127.0.0.1:8081", ...opts.headers };
  if (opts.token) headers.authorization = `token ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const req = new Request(`http://127.0.0.1:8081${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const res = await handler(req, { params: Promise.resolve((opts.params ?? {}) as Q) });
  return { status: res.status, text: await res.text() };
}
