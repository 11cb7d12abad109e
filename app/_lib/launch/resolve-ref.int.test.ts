// Ref resolution against a real git server: `git ls-remote` (Debian's git, hardened) against
// git http-backend on loopback for /v2/git/ links, and a GitHub API stand-in that answers from
// the same real repositories (git rev-parse) — then the agent fetches exactly the resolved commit.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { buildPrepareSpec } from "@/spawners/agent/agent-spec";
import { decideLaunchAllowed } from "./allow-list";
import { launchConfigSchema } from "@/config/launch-section";
import { LaunchError } from "./launch-error";
import { parseLaunchLink } from "./launch-link";
import { launchFolder } from "./launch-names";
import { providerSettings } from "./providers";
import { createRefResolver } from "./resolve-ref";
import { startGitHttpServer, type GitHttpServer } from "./testing/git-http-server";
import { git, makeRepo, type TestRepo } from "./testing/git-repos";
import { startGitHubStandIn, type ApiStandIn } from "./testing/provider-api-stand-ins";
import { accountDir, lastOf, runAgent, testAccount } from "@/spawners/agent/testing/run-agent";

let work: string;
let root: string;
let srv: GitHttpServer;
let slow: GitHttpServer;
let gh: ApiStandIn;
let repo: TestRepo;
const c: Record<string, string> = {};

before(async () => {
  work = accountDir(await testAccount("gyrelaunch1"), "gyre-resolve-");
  root = join(work, "srv");
  mkdirSync(root);
  repo = makeRepo(root, "org/demo", { "README.md": "v1\n" });
  c.first = repo.head();
  repo.tag("v1.0", "annotated release");
  repo.tag("light");
  c.main = repo.commit({ "README.md": "v2\n" });
  repo.branch("feature/x");
  c.feature = repo.commit({ "feature.txt": "x\n" });
  repo.branch("main");
  srv = await startGitHttpServer({ root });
  slow = await startGitHttpServer({ root, delayPackMs: 4000 });
  // the stand-in answers from the real repositories on disk
  const real = (bare: string) => ({
    resolve: (ref: string) => {
      try {
        return git(bare, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]) || null;
      } catch {
        return null;
      }
    },
  });
  gh = await startGitHubStandIn({ repos: { "org/demo": real(repo.bare) } });
});
after(async () => {
  await srv?.close();
  await slow?.close();
  await gh?.close();
  rmSync(work, { recursive: true, force: true });
});

function setup(server: GitHttpServer, lsRemoteTimeoutSeconds = 10) {
  const config = launchConfigSchema.parse({
    allow: { gitHosts: [server.host], httpHosts: [server.host], githubOwners: ["org"] },
    github: { url: srv.url, apiUrl: gh.url },
  });
  const settings = providerSettings(config);
  const resolver = createRefResolver({ settings, cacheSeconds: { github: 60, gitlab: 60, git: 60 }, lsRemoteTimeoutSeconds });
  const link = (path: string) => parseLaunchLink({ path, query: new URLSearchParams(), settings }).spec;
  return { config, resolver, link };
}

test("git ls-remote against git http-backend: branch, branch with a slash, annotated and light tags, HEAD, a commit", async () => {
  const { resolver, link } = setup(srv);
  const url = encodeURIComponent(`${srv.url}/org/demo.git`);
  const cases: [string, string][] = [
    ["main", c.main],
    ["feature%2Fx", c.feature],
    ["v1.0", c.first],
    ["light", c.first],
    ["HEAD", c.main],
    [c.feature, c.feature],
  ];
  for (const [ref, want] of cases) assert.equal((await resolver.resolve(link(`git/${url}/${ref}`))).commit, want, ref);
});

test("git ls-remote: a missing ref, a missing repository, a closed port and a server too slow each give a clear reason", async () => {
  const { resolver, link } = setup(srv);
  const url = encodeURIComponent(`${srv.url}/org/demo.git`);
  await assert.rejects(
    resolver.resolve(link(`git/${url}/nope`)),
    (e: unknown) => e instanceof LaunchError && e.kind === "not-found" && /has no branch or tag named "nope"/.test(e.message),
  );
  await assert.rejects(
    resolver.resolve(link(`git/${encodeURIComponent(`${srv.url}/org/missing.git`)}/main`)),
    (e: unknown) => e instanceof LaunchError && e.kind === "not-found" && /does not exist or is private/.test(e.message),
  );
  const closed = setup({ ...srv, host: "127.0.0.1:9", url: "http://127.0.0.1:9" });
  await assert.rejects(
    closed.resolver.resolve(closed.link(`git/${encodeURIComponent("http://127.0.0.1:9/x.git")}/main`)),
    (e: unknown) => e instanceof LaunchError && e.kind === "unreachable" && /could not reach/.test(e.message),
  );
  const s = setup(slow, 1);
  const t0 = performance.now();
  await assert.rejects(
    s.resolver.resolve(s.link(`git/${encodeURIComponent(`${slow.url}/org/demo.git`)}/main`)),
    (e: unknown) => e instanceof LaunchError && e.kind === "unreachable" && /did not answer within 1 seconds/.test(e.message),
  );
  assert.ok(performance.now() - t0 < 3500);
});

test("the whole hub-side path with a GitHub API stand-in over real repositories: link → allowed → resolved → the agent fetches that commit", async () => {
  const { config, resolver, link } = setup(srv);
  // GitHub's clone URLs have no .git; git http-backend wants it: the stand-in "GitHub" is srv,
  // so point the launch at the .git path the way the repository is stored
  const spec = link("gh/org/demo.git/feature/x");
  assert.deepEqual(decideLaunchAllowed(spec.subject, config.allow), { allowed: true });
  const resolved = await resolver.resolve(spec);
  assert.equal(resolved.commit, c.feature);
  assert.equal(resolved.refUrl, `${srv.url}/org/demo/tree/${c.feature}`);
  const account = await testAccount("gyrelaunch1");
  const target = launchFolder(join(work, "launches"), spec, resolved.commit);
  const prepare = buildPrepareSpec({
    repoUrl: `${spec.repoUrl}.git`,
    commit: resolved.commit,
    ref: spec.ref,
    targetDir: target,
    allowHttp: true,
    platform: "local",
    config,
  });
  const run = await runAgent({ account, dir: work, command: "prepare", spec: prepare });
  assert.equal(run.exitCode, 0, JSON.stringify(run.events.at(-1)));
  assert.equal(lastOf(run, "fetched")!.commit, c.feature);
  assert.equal(git(target, ["-c", "safe.directory=*", "rev-parse", "HEAD"]), c.feature);
  // a private or missing repository never gets as far as git
  await assert.rejects(resolver.resolve(link("gh/org/private/HEAD")), (e: unknown) => e instanceof LaunchError && e.kind === "not-found");
  // and an owner not on the list is refused before anything is resolved
  assert.match(
    (decideLaunchAllowed(link("gh/other/demo/HEAD").subject, config.allow) as { reason: string }).reason,
    /Repositories of other on GitHub cannot be launched/,
  );
});
