// What the launch routes (POST /hub/api/launches, GET /build/...) answer: a started launch as
// JSON, and launch errors as HTTP errors with the status their kind means.
import { HttpError } from "../http/errors";
import type { HubRuntime } from "../runtime";
import { isLaunchError, launchErrorStatus } from "./launch-error";
import { startLaunch, type StartedLaunch } from "./launches";
import { userUrl, type OriginPlan } from "@/proxy/origins/origin-plan";

/** A started launch as the REST API shows it. */
export interface LaunchModel {
  provider: string;
  repo_url: string;
  ref: string;
  commit: string;
  ref_url: string;
  /** the launch's named server */
  server: string;
  /** the server's public path */
  url: string;
  /** where to go once the server runs (the link's urlpath inside the server): on the user's own origin with per-user origins */
  redirect: string;
  progress_url: string;
  /** "running": go to `redirect` now; "pending": follow `progress_url` first */
  state: "running" | "pending";
}

/** `origins` decides where the browser goes: the user's own origin with per-user origins, so no proxy redirect is needed. */
export function toLaunchModel(s: StartedLaunch, origins: OriginPlan): LaunchModel {
  return {
    provider: s.spec.provider,
    repo_url: s.spec.repoUrl,
    ref: s.spec.ref,
    commit: s.commit,
    ref_url: s.refUrl,
    server: s.serverName,
    url: s.serverPath,
    redirect: userUrl(origins, s.user, s.redirectPath),
    progress_url: s.progressUrl,
    state: s.outcome === "already-running" ? "running" : "pending",
  };
}

/** LaunchError → HttpError (400 bad link, 403 denied, 404 not found, 502/503 provider trouble). */
export function launchHttpError(err: unknown): unknown {
  return isLaunchError(err) ? new HttpError(launchErrorStatus(err.kind), err.message) : err;
}

/** Starts the launch for the signed-in `user`; errors as HttpError. */
export async function startLaunchForRequest(
  rt: Pick<HubRuntime, "db" | "launch" | "origins">,
  user: { id: number; name: string },
  link: string,
  query: URLSearchParams,
): Promise<LaunchModel> {
  try {
    return toLaunchModel(await startLaunch({ db: rt.db, services: rt.launch, user, link, query }), rt.origins);
  } catch (err) {
    throw launchHttpError(err);
  }
}
