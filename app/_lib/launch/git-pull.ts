// git-pull links (nbgitpuller's /hub/user-redirect/git-pull?repo=&branch=&urlpath=), the hub's
// side: parse → allow → the agent's git-pull as the user where the user's files are (the spawner
// kind's AgentCommandRunner) → the default server, started when it is not running → where to go.
import type { Db } from "../db/types";
import { requestStart } from "../servers/commands";
import { progressUrl, serverPath } from "../servers/models";
import { buildGitPullSpec } from "@/spawners/agent/agent-spec";
import type { AgentCommandRunner, SpawnLogger, SpawnUser } from "@/spawners/types";
import { decideLaunchAllowed } from "./allow-list";
import { parseGitPullLink } from "./git-pull-link";
import { LaunchError } from "./launch-error";
import { serverRedirectPath } from "./launch-link";
import type { LaunchServices } from "./launch-services";

export interface GitPullOptions {
  db: Db;
  services: LaunchServices;
  /** the active spawner kind's runner; null: the kind cannot run git-pull */
  runner: AgentCommandRunner | null;
  user: SpawnUser & { id: number };
  query: URLSearchParams;
  log: SpawnLogger;
  now?: Date;
}

export interface GitPullOutcome {
  /** what the agent said ("Merged 2 new commits of main into ~/demo") */
  message: string;
  dir: string;
  commit: string;
  branch: string;
  /** the default server: running, or requested now */
  state: "running" | "pending";
  progress_url: string;
  /** the link's urlpath inside the default server */
  redirect: string;
}

export async function gitPullForUser(o: GitPullOptions): Promise<GitPullOutcome> {
  const { config, settings } = o.services;
  if (!config.enabled) throw new LaunchError("not-found", "git-pull links are not enabled on this hub (launch.enabled).");
  const link = parseGitPullLink(o.query, settings);
  const decision = decideLaunchAllowed(link.subject, config.allow);
  if (!decision.allowed) throw new LaunchError("denied", decision.reason);
  if (!o.runner) throw new LaunchError("unsupported", "This hub's spawner cannot run git-pull links (it has no way to reach your files outside your server).");
  const spec = buildGitPullSpec({
    repoUrl: link.repoUrl,
    branch: link.branch,
    targetDir: `${config.gitPullDir.replace(/\/+$/, "")}/${link.targetPath}`,
    allowHttp: link.allowHttp,
    config,
  });
  const result = await o.runner.gitPull({ user: o.user, spec, log: o.log });
  if (!result.ok) throw new LaunchError("pull-failed", result.message, undefined, result.logTail);
  // the user's default server, with the options of its last start (their usual profile)
  const last = await o.db.server.findUnique({ where: { userId_name: { userId: o.user.id, name: "" } }, select: { options: true } });
  const outcome = await requestStart(o.db, o.user.id, "", parseOptions(last?.options), o.now ?? new Date());
  return {
    message: result.message,
    dir: result.dir,
    commit: result.commit,
    branch: result.branch,
    state: outcome === "already-running" ? "running" : "pending",
    progress_url: progressUrl(o.user.name, ""),
    redirect: serverRedirectPath(serverPath(o.user.name, ""), link.urlPath),
  };
}

function parseOptions(raw: string | undefined): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw ?? "{}");
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
