// Launches, the hub's side: a link becomes a launch record and a start request of the launch's
// named server; the spawn worker turns the record back into what the spawner prepares. The
// order of checks is the point: the link is parsed and the allow-list decides before anything
// is contacted, the ref is resolved before anything is written.
import type { Db } from "../db/types";
import { requestStart, type StartOutcome } from "../servers/commands";
import { progressUrl, serverPath } from "../servers/models";
import { buildPrepareSpec } from "@/spawners/agent/agent-spec";
import type { SpawnLaunch } from "@/spawners/types";
import { decideLaunchAllowed } from "./allow-list";
import type { LaunchConfig } from "@/config/launch-section";
import { LaunchError } from "./launch-error";
import { parseLaunchLink, serverRedirectPath, type LaunchLink } from "./launch-link";
import { launchFolder, launchServerName } from "./launch-names";
import type { LaunchServices } from "./launch-services";
import type { RepoSpec } from "./providers";

export interface StartLaunchOptions {
  db: Db;
  services: LaunchServices;
  user: { id: number; name: string };
  /** "<provider>/<spec>" as in the link's path after /v2/ (raw: %-escapes kept) */
  link: string;
  /** the link's query (urlpath, labpath, filepath) */
  query: URLSearchParams;
  now?: Date;
}

export interface StartedLaunch {
  launchId: number;
  spec: RepoSpec;
  commit: string;
  refUrl: string;
  serverName: string;
  /** the launching user's name, whose server it is */
  user: string;
  /** the server's public path, "/user/<name>/<server>/" */
  serverPath: string;
  /** where the browser goes once the server runs (urlpath resolved inside the server) */
  redirectPath: string;
  progressUrl: string;
  /** "already-running": nothing to wait for */
  outcome: StartOutcome;
}

/**
 * A link's repository, checked: the link parses (LaunchError "bad-link") and the allow-list lets
 * it launch ("denied"). Contacts nothing, so it is safe to run before login.
 */
export function checkLaunchLink(services: LaunchServices, link: string, query: URLSearchParams): LaunchLink {
  const { config, settings } = services;
  if (!config.enabled) throw new LaunchError("not-found", "Launch links are not enabled on this hub (launch.enabled).");
  const parsed = parseLaunchLink({ path: link, query, settings });
  const decision = decideLaunchAllowed(parsed.spec.subject, config.allow);
  if (!decision.allowed) throw new LaunchError("denied", decision.reason);
  return parsed;
}

/**
 * Parse → allow → resolve the ref → the launch record of (user, repository, commit) → a start
 * request of its named server with the launch profile (nothing when it runs already). Throws
 * LaunchError for the link's problems and HttpError for the server's (bad profile, stopping).
 */
export async function startLaunch(opts: StartLaunchOptions): Promise<StartedLaunch> {
  const { db, services, user } = opts;
  const now = opts.now ?? new Date();
  const { spec, urlPath } = checkLaunchLink(services, opts.link, opts.query);
  const { commit, refUrl } = await services.resolver.resolve(spec);
  const serverName = launchServerName(spec, commit);
  const folder = launchFolder(services.config.repoDir, spec, commit);
  const launch = await upsertLaunch(db, {
    userId: user.id,
    provider: spec.provider,
    repoUrl: spec.repoUrl,
    rawSpec: spec.rawSpec,
    ref: spec.ref,
    commit,
    serverName,
    folder,
    now,
  });
  const options = services.config.profile ? { profile: services.config.profile } : {};
  const outcome = await requestStart(db, user.id, serverName, options, now, { launchId: launch.id });
  const base = serverPath(user.name, serverName);
  return {
    launchId: launch.id,
    spec,
    commit,
    refUrl,
    serverName,
    user: user.name,
    serverPath: base,
    redirectPath: serverRedirectPath(base, urlPath),
    progressUrl: progressUrl(user.name, serverName),
    outcome,
  };
}

type LaunchRowData = {
  userId: number;
  provider: string;
  repoUrl: string;
  rawSpec: string;
  ref: string;
  commit: string;
  serverName: string;
  folder: string;
  now: Date;
};

async function upsertLaunch(db: Db, d: LaunchRowData) {
  const where = { userId_repoUrl_commit: { userId: d.userId, repoUrl: d.repoUrl, commit: d.commit } };
  const update = { rawSpec: d.rawSpec, ref: d.ref, lastUsedAt: d.now };
  try {
    return await db.launch.upsert({
      where,
      update,
      create: {
        userId: d.userId,
        provider: d.provider,
        repoUrl: d.repoUrl,
        rawSpec: d.rawSpec,
        ref: d.ref,
        commit: d.commit,
        serverName: d.serverName,
        folder: d.folder,
        createdAt: d.now,
        lastUsedAt: d.now,
      },
    });
  } catch (err) {
    // two clicks at once: the other one created the row between our read and our write
    if ((err as { code?: string }).code !== "P2002") throw err;
    return db.launch.update({ where, data: update });
  }
}

/** A stored launch as the spawn worker reads it. */
export interface LaunchRecord {
  provider: string;
  repoUrl: string;
  rawSpec: string;
  ref: string;
  commit: string;
  folder: string;
}

/**
 * What the spawner prepares for a launch's server, checked again against the current config: a
 * repository removed from the allow-list (or launches turned off) since the click fails the
 * start with the reason instead of being fetched. Throws LaunchError.
 */
export function buildSpawnLaunch(record: LaunchRecord, services: LaunchServices): SpawnLaunch {
  checkLaunchLink(services, `${record.provider}/${record.rawSpec}`, new URLSearchParams());
  const config: LaunchConfig = services.config;
  const spec = buildPrepareSpec({
    repoUrl: record.repoUrl,
    commit: record.commit,
    ref: record.ref,
    targetDir: record.folder,
    allowHttp: new URL(record.repoUrl).protocol === "http:",
    // the spawner sets where its servers run (withPlatform)
    platform: "local",
    config,
  });
  const e = config.environment;
  return { spec, prepareTimeoutSeconds: config.git.fetchTimeoutSeconds + e.lockTimeoutSeconds + e.buildTimeoutSeconds };
}
