// The `launch:` section: binder-style launch links (app/_lib/launch/, docs/launch.md). Defaults are
// safe: launches are off, login is required, and with launches on no repository may be launched
// until the admin lists the organisations or hosts it trusts — a link runs the repository's
// install steps as whoever clicks it.
import { z } from "zod";

const githubName = z.string().regex(/^(\*|[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))$/, 'must be a GitHub user or organisation name, or "*"');
const gitlabNamespace = z
  .string()
  .regex(/^(\*|[A-Za-z0-9_.][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*)$/, 'must be a GitLab group path such as "pangeo" or "pangeo/tutorials", or "*"')
  .refine((s) => s.split("/").every((part) => part !== "." && part !== ".."), 'must not contain "." or ".." segments');
const hostName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/, "must be a lower-case host name, optionally with :port")
  .describe("host name");

export const launchAllowSchema = z
  .object({
    githubOwners: z
      .array(githubName)
      .default([])
      .describe('GitHub users and organisations whose repositories may be launched (/v2/gh/<owner>/...); "*" allows every owner on the configured GitHub.'),
    gitlabNamespaces: z
      .array(gitlabNamespace)
      .default([])
      .describe('GitLab groups (and their subgroups) whose projects may be launched (/v2/gl/...); "*" allows every project on the configured GitLab.'),
    gistUsers: z.array(githubName).default([]).describe('GitHub users whose gists may be launched (/v2/gist/<user>/...); "*" allows all.'),
    gitHosts: z.array(hostName).default([]).describe("Hosts whose git repositories may be launched by URL (/v2/git/<url>/...), e.g. git.example.org."),
    httpHosts: z.array(hostName).default([]).describe("Hosts that may be reached over plain http (an internal git server); every other host only over https."),
  })
  .strict();

export const launchGitHubSchema = z
  .object({
    url: z.string().url().default("https://github.com").describe("Web URL of GitHub (or a GitHub Enterprise Server): clone URLs are <url>/<owner>/<repo>."),
    apiUrl: z.string().url().default("https://api.github.com").describe("REST API base: https://api.github.com, or <enterprise>/api/v3."),
    gistUrl: z.string().url().default("https://gist.github.com").describe("Web URL of gists (clone URLs are <gistUrl>/<user>/<id>.git)."),
    tokenFile: z.string().optional().describe("File holding a GitHub token for the API (5,000 requests an hour instead of 60 per address); read at start."),
    refCacheSeconds: z
      .number()
      .int()
      .min(0)
      .default(60)
      .describe("How long a resolved branch or tag is trusted before GitHub is asked again (with If-None-Match, which does not count against the rate limit)."),
    allowSecretGists: z.boolean().default(false).describe("Allow launching secret (unlisted) gists."),
  })
  .strict();

export const launchGitLabSchema = z
  .object({
    url: z.string().url().default("https://gitlab.com").describe("GitLab instance: projects are <url>/<namespace>, the API is <url>/api/v4."),
    tokenFile: z.string().optional().describe("File holding a GitLab token for the API (read_api); read at start."),
    refCacheSeconds: z.number().int().min(0).default(60).describe("How long a resolved branch or tag is trusted before GitLab is asked again."),
  })
  .strict();

export const launchGitSchema = z
  .object({
    lsRemoteTimeoutSeconds: z.number().positive().default(20).describe("Limit of `git ls-remote` when the hub resolves a ref of a plain git URL."),
    refCacheSeconds: z.number().int().min(0).default(60).describe("How long a ref resolved with ls-remote is trusted."),
    fetchTimeoutSeconds: z.number().positive().default(300).describe("Wall-clock limit of fetching a repository where the server runs."),
    maxRepoBytes: z.number().int().positive().default(500_000_000).describe("Size limit of a fetched repository (history + files); git is stopped past it."),
    depth: z.number().int().min(0).default(1).describe("History depth fetched (0 = all history)."),
  })
  .strict();

export const launchEnvironmentSchema = z
  .object({
    builder: z
      .enum(["none", "venv", "conda"])
      .default("venv")
      .describe(
        "How a repository's environment is prepared on local and batch servers: venv (requirements.txt into a venv on top of the server's Python), conda (also environment.yml, with condaCommand), none (the server's environment as it is).",
      ),
    cacheDir: z
      .string()
      .default("~/.cache/gyre/envs")
      .describe(
        "Where built environments are kept, as seen by the user's account (~ is the user's home). A folder shared by all users is possible: an environment is reused only when its owner is the user or root.",
      ),
    basePython: z.string().optional().describe("Python the venvs are made from (it must have ipykernel). Default: the Python that runs the user's server."),
    pipIndexUrl: z.string().url().optional().describe("Package index for pip (--index-url). Default: pip's own (PyPI)."),
    pipExtraIndexUrls: z.array(z.string().url()).default([]).describe("Further package indexes (--extra-index-url)."),
    wheelhouse: z
      .string()
      .optional()
      .describe("A folder of wheels to install from instead of an index (--no-index --find-links); for sites without internet access."),
    onlyBinary: z.boolean().default(false).describe("Install wheels only (--only-binary=:all:): no package's setup code runs at install time."),
    condaCommand: z.string().default("mamba").describe("conda, mamba or micromamba (a name on the user's PATH or a path) for environment.yml."),
    buildTimeoutSeconds: z.number().positive().default(1800).describe("Limit of one environment build."),
    lockTimeoutSeconds: z.number().positive().default(1800).describe("How long a launch waits for another launch that builds the same environment."),
    allowPostBuild: z.boolean().default(false).describe("Run a repository's postBuild script (as the user, while building its environment)."),
    ignoreAptTxt: z
      .boolean()
      .default(false)
      .describe(
        "Launch repositories with an apt.txt anyway, without its system packages (only Kubernetes image builds install them). Off: such launches fail and say why.",
      ),
  })
  .strict();

export const launchConfigSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe("Binder-style launch links (/v2/..., /build/...) and git-pull links (/hub/user-redirect/git-pull). Off: those paths answer 404."),
    profile: z
      .string()
      .optional()
      .describe(
        "Spawner profile that launches use (for example a Slurm queue and walltime); the hub refuses to start when the active spawner has no profile of that name. Default: the spawner's default profile.",
      ),
    binderTokenSeconds: z
      .number()
      .int()
      .min(60)
      .default(6 * 3600)
      .describe(
        "Lifetime of the token that the event-stream API (/build/...) hands to clients such as Thebe in its ready message: a hub API token that reaches only the launched server, never the server's own token.",
      ),
    repoDir: z
      .string()
      .default("~/launches")
      .describe("Folder in the user's home that holds one sub-folder per launched repository and commit; the files are the user's to keep."),
    gitPullDir: z.string().default("~").describe("Folder that git-pull links clone into (nbgitpuller's default: the server's root, here the home)."),
    allow: launchAllowSchema.default(launchAllowSchema.parse({})),
    github: launchGitHubSchema.default(launchGitHubSchema.parse({})),
    gitlab: launchGitLabSchema.default(launchGitLabSchema.parse({})),
    git: launchGitSchema.default(launchGitSchema.parse({})),
    environment: launchEnvironmentSchema.default(launchEnvironmentSchema.parse({})),
  })
  .strict();

export type LaunchConfig = z.infer<typeof launchConfigSchema>;
