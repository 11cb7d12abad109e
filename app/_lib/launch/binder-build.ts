// BinderHub's build API as a sequence of events: GET /build/<provider>/<spec> starts the launch
// (the same as the launch page's POST) and follows its server until it is ready, then hands out
// where it is and a token for it. The route writes the events (binder-events.ts formats them).
import { createApiToken } from "../auth/api-tokens";
import { serverAccessScope } from "../auth/scopes";
import type { HubRuntime } from "../runtime";
import { followSpawnEvents } from "../servers/spawn-events";
import { binderEventFor, binderReadyEvent, type BinderEvent } from "./binder-events";
import { isLaunchError } from "./launch-error";
import { launchEventFromStored, type LaunchPhase } from "./launch-progress";
import { startLaunch } from "./launches";
import { userOrigin } from "@/proxy/origins/origin-plan";

export interface BinderBuildOptions {
  rt: Pick<HubRuntime, "db" | "bus" | "launch" | "config" | "origins">;
  user: { id: number; name: string };
  /** "<provider>/<spec>" after /build/, raw */
  link: string;
  signal: AbortSignal;
  now?: () => Date;
}

/**
 * The events of one /build request, ending with "ready" or "failed". The ready token is a new hub
 * API token of the user that reaches only the launched server (access:servers!server=<user>/<server>)
 * and expires after launch.binderTokenSeconds: clients such as Thebe put it in URLs and pages, so
 * it must never be the server's own token.
 */
export async function* binderBuildEvents(opts: BinderBuildOptions): AsyncGenerator<BinderEvent> {
  const { rt, user, signal } = opts;
  const now = opts.now ?? (() => new Date());
  yield binderEventFor({ phase: "resolving", message: `Resolving ${decodeForDisplay(opts.link)}` });
  let started;
  try {
    started = await startLaunch({ db: rt.db, services: rt.launch, user, link: opts.link, query: new URLSearchParams(), now: now() });
  } catch (err) {
    if (isLaunchError(err)) {
      yield binderEventFor({ phase: "failed", message: err.message });
      return;
    }
    throw err;
  }
  const server = await rt.db.server.findUniqueOrThrow({ where: { userId_name: { userId: user.id, name: started.serverName } } });
  if (started.outcome !== "already-running") {
    let phase: LaunchPhase = "resolving";
    let ended: "ready" | "failed" | null = null;
    for await (const stored of followSpawnEvents({ db: rt.db, bus: rt.bus, serverId: server.id, spawnId: server.spawnId!, signal })) {
      const event = launchEventFromStored(stored, phase);
      if (event.phase === "ready") {
        ended = "ready";
        break;
      }
      if (event.phase === "failed") {
        const row = await rt.db.server.findUnique({ where: { id: server.id }, select: { logTail: true } });
        yield binderEventFor({ ...event, ...(row?.logTail ? { logTail: row.logTail } : {}) });
        ended = "failed";
        break;
      }
      phase = event.phase;
      yield binderEventFor(event);
    }
    if (ended !== "ready") return;
  }
  const publicUrl = rt.config.hub.publicUrl.replace(/\/+$/, "");
  const { token } = await createApiToken(rt.db, user.id, {
    note: `BinderHub API: ${started.serverName}`,
    scopes: [serverAccessScope(user.name, started.serverName)],
    expiresAt: new Date(now().getTime() + rt.launch.config.binderTokenSeconds * 1000),
  });
  const spec = started.spec;
  yield binderReadyEvent({
    // the server on its owner's origin (per-user origins): where a browser may go; the token works there too
    url: `${rt.origins.mode === "per-user" ? userOrigin(rt.origins, user.name) : publicUrl}${started.serverPath}`,
    token,
    image: `${spec.repoUrl}@${started.commit}`,
    repoUrl: spec.repoUrl,
    refUrl: started.refUrl,
    launchHost: `${publicUrl}/`,
    request: `v2/${spec.provider}/${spec.rawSpec}`,
    persistentRequest: `v2/${spec.provider}/${spec.repoPart}/${started.commit}`,
  });
}

function decodeForDisplay(link: string): string {
  try {
    return decodeURIComponent(link);
  } catch {
    return link;
  }
}
