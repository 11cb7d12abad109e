// Launch links on the Express side: BinderHub's URLs outside /hub (Next serves only /hub), and
// the git-pull API, which runs the spawner kind's agent commands (spawner I/O stays out of Next):
//   GET  /v2/<provider>/<spec>?urlpath=…  → checked, then 302 to the launch page /hub/launch/v2/…
//   GET  /build/<provider>/<spec>         → BinderHub's event stream (Thebe, Jupyter Book)
//   POST /hub/api/git-pull {query}        → pull into the user's folder, start the default server
// Anything else under /v2 and /build is a 404; with launch.enabled off, everything is.
import { Router, type Request, type Response } from "express";
import { getRuntime } from "../runtime";
import { jsonBody } from "./form-body";
import { authenticate } from "../auth/request-auth";
import { checkLaunchLink } from "../launch/launches";
import { isLaunchError, launchErrorStatus } from "../launch/launch-error";
import { binderBuildEvents } from "../launch/binder-build";
import {
  acceptsEventStream,
  EVENT_STREAM_HEADERS,
  formatSseData,
  KEEPALIVE_COMMENT,
  KEEPALIVE_INTERVAL_MS,
  LINGER_AFTER_END_MS,
  type BinderEvent,
} from "../launch/binder-events";
import { gitPullForUser } from "../launch/git-pull";
import { loadSpawnUser } from "@/app/_lib/users/spawn-user";
import type { AgentCommandRunner } from "@/spawners/types";
import { errorToJson, HttpError } from "./errors";
import { userUrl } from "@/proxy/origins/origin-plan";
import { isSameOrigin, sendRefusal } from "./security";

export interface LaunchRouterOptions {
  /** the configured spawner kind's agent commands (git-pull), null when it has none */
  agentCommands(): Promise<AgentCommandRunner | null>;
  /** how long the stream stays open after its last event (BinderHub: a minute) */
  lingerMs?: number;
}

/** The raw path after `prefix` ("/v2/" or "/build/"), %-escapes kept, and the query. */
function rawLink(req: Request, prefix: string): { link: string; query: URLSearchParams } {
  const url = new URL(req.originalUrl, "http://gyre.invalid");
  return { link: url.pathname.slice(prefix.length), query: url.searchParams };
}

export function launchRouter(opts: LaunchRouterOptions): Router {
  const r = Router();

  r.get(/^\/v2\/.+/, (req, res) => {
    const { launch } = getRuntime();
    const { link, query } = rawLink(req, "/v2/");
    try {
      checkLaunchLink(launch, link, query);
    } catch (err) {
      if (!isLaunchError(err)) throw err;
      return sendRefusal(req, res, launchErrorStatus(err.kind), err.message);
    }
    // the launch page asks for a login itself, and comes back
    const search = query.toString();
    res.redirect(302, `/hub/launch/v2/${link}${search ? `?${search}` : ""}`);
  });

  r.get(/^\/build\/.+/, async (req, res) => {
    const rt = getRuntime();
    if (!rt.launch.config.enabled) return sendRefusal(req, res, 404, "Launch links are not enabled on this hub (launch.enabled).");
    if (!acceptsEventStream(req.get("accept")))
      return sendRefusal(req, res, 400, "This is BinderHub's event-stream API: send Accept: text/event-stream (an EventSource does).");
    const who = await principalOf(req);
    if (!who.ok) return refuseStream(res, who.status, who.message);
    const { link } = rawLink(req, "/build/");
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    res.writeHead(200, EVENT_STREAM_HEADERS);
    res.flushHeaders();
    const keepalive = setInterval(() => res.write(KEEPALIVE_COMMENT), KEEPALIVE_INTERVAL_MS);
    try {
      for await (const event of binderBuildEvents({ rt, user: who.user, link, signal: abort.signal })) {
        if (abort.signal.aborted) break;
        res.write(formatSseData(event));
      }
    } catch (err) {
      rt.log.error({ err }, "BinderHub build stream failed");
      if (!abort.signal.aborted) res.write(formatSseData({ phase: "failed", message: "The hub could not launch this; its log has the details.\n" }));
    } finally {
      // EventSource reconnects (and would launch again) when the server closes first: linger
      await lingerThenEnd(res, abort.signal, opts.lingerMs ?? LINGER_AFTER_END_MS);
      clearInterval(keepalive);
    }
  });

  r.post("/hub/api/git-pull", jsonBody({ limitBytes: 16 * 1024 }), async (req, res) => {
    const rt = getRuntime();
    try {
      const who = await principalOf(req, "POST");
      if (!who.ok) throw new HttpError(who.status, who.message);
      const raw = (req.body as { query?: unknown } | undefined)?.query;
      if (typeof raw !== "string" || raw.length > 4000) throw new HttpError(400, 'The body must be {"query": "<the git-pull link\'s query string>"}.');
      const user = await loadSpawnUser(rt.db, who.user.id, rt.config.hub);
      const outcome = await gitPullForUser({
        db: rt.db,
        services: rt.launch,
        runner: await opts.agentCommands(),
        user: { ...user, id: who.user.id },
        query: new URLSearchParams(raw),
        log: rt.log.child({ user: user.name, gitPull: true }),
      });
      // the browser goes to the server on its owner's origin (per-user origins), not through a proxy redirect
      res.json({ ...outcome, redirect: userUrl(rt.origins, user.name, outcome.redirect) });
    } catch (err) {
      if (isLaunchError(err)) {
        res
          .status(launchErrorStatus(err.kind))
          .json({ status: launchErrorStatus(err.kind), message: err.message, ...(err.logTail ? { log_tail: err.logTail } : {}) });
        return;
      }
      const { status, body } = errorToJson(err, rt.log);
      res.status(status).json(body);
    }
  });

  r.all(/^\/(v2|build)(\/.*)?$/, (req, res) => sendRefusal(req, res, 404, "Not a launch link: use GET /v2/<provider>/<repository>/<ref>."));
  return r;
}

type Who = { ok: true; user: { id: number; name: string } } | { ok: false; status: number; message: string };

/**
 * The caller of a /build request: an API token (scope "servers"), or the hub's session cookie
 * from a page of the hub's own origin. A launch is a state change made by a GET, so a cookie sent
 * along by another site's EventSource (same-site pages, such as users' servers on sibling
 * subdomains, get Lax cookies) must not start one: such requests carry an Origin that is not ours.
 */
async function principalOf(req: Request, method: "GET" | "POST" = "GET"): Promise<Who> {
  const { config } = getRuntime();
  const url = `${config.hub.publicUrl.replace(/\/+$/, "")}${req.originalUrl}`;
  const headers = new Headers();
  for (const name of ["authorization", "cookie", "x-gyre-csrf"]) {
    const v = req.get(name);
    if (v) headers.set(name, v);
  }
  let principal;
  try {
    principal = await authenticate(new Request(url, { method, headers }));
  } catch (err) {
    if (err instanceof HttpError) return { ok: false, status: err.status, message: err.message };
    throw err;
  }
  if (!principal) return { ok: false, status: 403, message: "Log in to the hub first, or send an API token (Authorization: token …)." };
  if (
    principal.via === "session" &&
    req.get("origin") !== undefined &&
    !isSameOrigin({ origin: req.get("origin"), host: req.get("host") }, getRuntime().origins)
  ) {
    return {
      ok: false,
      status: 403,
      message: "Cross-site launch refused: this hub's cookie only launches from the hub's own pages; other sites must send an API token.",
    };
  }
  return { ok: true, user: principal.user };
}

function refuseStream(res: Response, status: number, message: string): void {
  const event: BinderEvent = { phase: "failed", message: `${message}\n` };
  res.writeHead(status, EVENT_STREAM_HEADERS);
  res.end(formatSseData(event));
}

function lingerThenEnd(res: Response, signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      res.end();
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    if (signal.aborted) done();
  });
}
