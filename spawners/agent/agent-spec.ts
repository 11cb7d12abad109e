// The JSON spec a spawner writes for the agent (read by spawners/agent/gyre_agent/spec.py,
// prepare.py and gitpull.py). Pure: typed options in, the object to serialise out.
import type { LaunchConfig } from "@/config/launch-section";

export const AGENT_SPEC_VERSION = 1;

/** Where the server runs: apt.txt is left to the image build on Kubernetes only. */
export type AgentPlatform = "local" | "batch" | "kubernetes";

export interface AgentGitSpec {
  allowHttp: boolean;
  depth: number;
  timeoutSeconds: number;
  maxBytes: number;
}

export interface PrepareSpec {
  version: typeof AGENT_SPEC_VERSION;
  repo: { url: string; commit: string; ref: string };
  targetDir: string;
  git: AgentGitSpec;
  environment: {
    /** "image": the server runs an image built for this commit, which holds the environment (Kubernetes) */
    builder: LaunchConfig["environment"]["builder"] | "image";
    cacheDir: string;
    basePython: string | null;
    pipIndexUrl: string | null;
    pipExtraIndexUrls: string[];
    wheelhouse: string | null;
    onlyBinary: boolean;
    condaCommand: string;
    buildTimeoutSeconds: number;
    lockTimeoutSeconds: number;
    allowPostBuild: boolean;
    ignoreAptTxt: boolean;
    platform: AgentPlatform;
    kernelDisplayName: string | null;
  };
}

export interface GitPullSpec {
  version: typeof AGENT_SPEC_VERSION;
  repo: { url: string; branch: string | null };
  targetDir: string;
  git: AgentGitSpec;
}

export interface PrepareSpecOptions {
  repoUrl: string;
  /** the resolved commit (what is launched) */
  commit: string;
  /** the ref it was resolved from (fetched instead when a server does not hand out single commits) */
  ref: string;
  /** the per-launch folder as the user's account sees it (~ allowed) */
  targetDir: string;
  allowHttp: boolean;
  platform: AgentPlatform;
  config: Pick<LaunchConfig, "git" | "environment">;
  kernelDisplayName?: string;
}

export function buildPrepareSpec(o: PrepareSpecOptions): PrepareSpec {
  const e = o.config.environment;
  return {
    version: AGENT_SPEC_VERSION,
    repo: { url: o.repoUrl, commit: o.commit, ref: o.ref },
    targetDir: o.targetDir,
    git: gitSpec(o.config.git, o.allowHttp),
    environment: {
      builder: e.builder,
      cacheDir: e.cacheDir,
      basePython: e.basePython ?? null,
      pipIndexUrl: e.pipIndexUrl ?? null,
      pipExtraIndexUrls: e.pipExtraIndexUrls,
      wheelhouse: e.wheelhouse ?? null,
      onlyBinary: e.onlyBinary,
      condaCommand: e.condaCommand,
      buildTimeoutSeconds: e.buildTimeoutSeconds,
      lockTimeoutSeconds: e.lockTimeoutSeconds,
      allowPostBuild: e.allowPostBuild,
      ignoreAptTxt: e.ignoreAptTxt,
      platform: o.platform,
      kernelDisplayName: o.kernelDisplayName ?? null,
    },
  };
}

export interface GitPullSpecOptions {
  repoUrl: string;
  /** null: the repository's default branch */
  branch: string | null;
  targetDir: string;
  allowHttp: boolean;
  config: Pick<LaunchConfig, "git">;
}

export function buildGitPullSpec(o: GitPullSpecOptions): GitPullSpec {
  return { version: AGENT_SPEC_VERSION, repo: { url: o.repoUrl, branch: o.branch }, targetDir: o.targetDir, git: gitSpec(o.config.git, o.allowHttp) };
}

function gitSpec(g: LaunchConfig["git"], allowHttp: boolean): AgentGitSpec {
  return { allowHttp, depth: g.depth, timeoutSeconds: g.fetchTimeoutSeconds, maxBytes: g.maxRepoBytes };
}

/** `spec` for a server that runs on `platform` (the spawner knows where its servers run, the hub does not). */
export function withPlatform(spec: PrepareSpec, platform: AgentPlatform): PrepareSpec {
  return { ...spec, environment: { ...spec.environment, platform } };
}
