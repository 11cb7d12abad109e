// Ref resolution against stand-ins of the GitHub and GitLab REST APIs (built from their
// documented endpoints: testing/provider-api-stand-ins.ts) over real HTTP on loopback: commits,
// caching with TTL and ETag revalidation, clear reasons for missing, private and rate-limited.
// The plain-git path (real git ls-remote against git http-backend) is in resolve-ref.int.test.ts.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchConfigSchema } from "@/config/launch-section";
import { LaunchError } from "./launch-error";
import { parseLaunchLink } from "./launch-link";
import { providerSettings } from "./providers";
import { createRefResolver } from "./resolve-ref";
import { startGitHubStandIn, startGitLabStandIn, type ApiStandIn, type StandInRepo } from "./testing/provider-api-stand-ins";

const MAIN = "1".repeat(40),
  DEV = "2".repeat(40),
  TAG = "3".repeat(40),
  OLD = "4".repeat(40),
  NEW = "5".repeat(40);
const table = (refs: Record<string, string>): StandInRepo => ({ resolve: (ref) => refs[ref] ?? (Object.values(refs).includes(ref) ? ref : null) });

let gh: ApiStandIn;
let gl: ApiStandIn;
let clock = 1_700_000_000_000;

before(async () => {
  gh = await startGitHubStandIn({
    repos: { "org/demo": table({ HEAD: MAIN, main: MAIN, "feature/x": DEV, "v1.0": TAG }), "org/secret": { ...table({ HEAD: MAIN }), private: true } },
    gists: { abc123: { owner: "alice", public: true, versions: [NEW, OLD] }, def456: { owner: "alice", public: false, versions: [NEW] } },
    rateLimit: 1000,
    nowSeconds: () => Math.floor(clock / 1000),
  });
  gl = await startGitLabStandIn({
    projects: { "pangeo/tutorials/intro": table({ HEAD: MAIN, main: MAIN, "release/1": TAG }), "pangeo/private": { ...table({ HEAD: MAIN }), private: true } },
  });
});
after(async () => {
  await gh.close();
  await gl.close();
});

function setup(over: { githubToken?: string; secretGists?: boolean } = {}) {
  const config = launchConfigSchema.parse({
    github: { url: "https://github.com", apiUrl: gh.url, allowSecretGists: over.secretGists ?? false },
    gitlab: { url: gl.url },
  });
  const settings = providerSettings(config);
  const resolver = createRefResolver({
    settings,
    tokens: { github: over.githubToken },
    cacheSeconds: { github: 60, gitlab: 60, git: 60 },
    lsRemoteTimeoutSeconds: 5,
    now: () => clock,
  });
  const spec = (path: string) => parseLaunchLink({ path, query: new URLSearchParams(), settings }).spec;
  return { resolver, spec };
}

test("GitHub stand-in: branch, branch with a slash, tag, HEAD and a commit resolve to their commits", async () => {
  const { resolver, spec } = setup();
  const cases: [string, string][] = [
    ["gh/org/demo/main", MAIN],
    ["gh/org/demo/feature/x", DEV],
    ["gh/org/demo/v1.0", TAG],
    ["gh/org/demo/HEAD", MAIN],
    [`gh/org/demo/${DEV}`, DEV],
  ];
  for (const [path, want] of cases) {
    const r = await resolver.resolve(spec(path));
    assert.equal(r.commit, want, path);
    assert.equal(r.refUrl, `https://github.com/org/demo/tree/${want}`);
  }
  assert.ok(gh.requests.includes("GET /repos/org/demo/commits/feature%2Fx"), gh.requests.join("\n"));
});

test("GitHub stand-in: cached within the TTL, then revalidated with If-None-Match (304), concurrent lookups share one request", async () => {
  const { resolver, spec } = setup();
  const s = spec("gh/org/demo/v1.0");
  const before = gh.requests.length;
  const [a, b] = await Promise.all([resolver.resolve(s), resolver.resolve(s)]);
  assert.equal(gh.requests.length, before + 1);
  assert.deepEqual([a.cached, b.cached], [false, false]);
  assert.equal((await resolver.resolve(s)).cached, true);
  assert.equal(gh.requests.length, before + 1);
  clock += 61_000;
  const limitBefore = gh.rateLimitRemaining;
  const again = await resolver.resolve(s);
  assert.equal(again.commit, TAG);
  assert.equal(gh.requests.at(-1), `GET /repos/org/demo/commits/v1.0 ["${TAG}"]`);
  assert.equal(gh.rateLimitRemaining, limitBefore, "a 304 does not count against the rate limit");
});

test("GitHub stand-in: unknown ref, unknown repository and private repository are 'not found' with a reason", async () => {
  const { resolver, spec } = setup();
  await assert.rejects(
    resolver.resolve(spec("gh/org/demo/nope")),
    (e: unknown) =>
      e instanceof LaunchError &&
      e.kind === "not-found" &&
      /org\/demo at "nope" was not found on GitHub.*private repositories cannot be launched/.test(e.message),
  );
  await assert.rejects(resolver.resolve(spec("gh/org/missing/main")), (e: unknown) => e instanceof LaunchError && e.kind === "not-found");
  await assert.rejects(
    resolver.resolve(spec("gh/org/secret/HEAD")),
    (e: unknown) => e instanceof LaunchError && e.kind === "not-found" && /private/.test(e.message),
  );
  // the miss is cached: a class clicking a broken link costs one API call
  const n = gh.requests.length;
  await assert.rejects(resolver.resolve(spec("gh/org/demo/nope")));
  assert.equal(gh.requests.length, n);
});

test("GitHub stand-in: a used-up rate limit says when to try again; the admin's token is sent", async () => {
  const { resolver, spec } = setup({ githubToken: "ghp_admin" });
  const saved = gh.rateLimitRemaining;
  gh.rateLimitRemaining = 0;
  try {
    await assert.rejects(
      resolver.resolve(spec("gh/org/demo/feature/x")),
      (e: unknown) => e instanceof LaunchError && e.kind === "rate-limited" && e.retryAfterSeconds === 1800 && /try again in 30 minutes/.test(e.message),
    );
  } finally {
    gh.rateLimitRemaining = saved;
  }
  assert.equal(gh.credentials.at(-1), "Bearer ghp_admin");
  // a rate-limited answer is not cached
  assert.equal((await resolver.resolve(spec("gh/org/demo/feature/x"))).commit, DEV);
});

test("GitHub stand-in: gists at HEAD and at a revision; secret gists and someone else's gist refused", async () => {
  const { resolver, spec } = setup();
  assert.equal((await resolver.resolve(spec("gist/alice/abc123"))).commit, NEW);
  assert.equal((await resolver.resolve(spec(`gist/alice/abc123/${OLD}`))).commit, OLD);
  assert.equal((await resolver.resolve(spec("gist/alice/abc123"))).refUrl, `https://gist.github.com/alice/abc123/${NEW}`);
  await assert.rejects(resolver.resolve(spec(`gist/alice/abc123/${"9".repeat(40)}`)), /has no revision/);
  await assert.rejects(
    resolver.resolve(spec("gist/alice/def456")),
    (e: unknown) => e instanceof LaunchError && e.kind === "denied" && /secret gist/.test(e.message),
  );
  await assert.rejects(resolver.resolve(spec("gist/mallory/abc123")), /does not belong to mallory/);
  assert.equal((await setup({ secretGists: true }).resolver.resolve(spec("gist/alice/def456"))).commit, NEW);
});

test("GitLab stand-in: project path %-escaped in the API URL; missing commit and private project are 'not found'", async () => {
  const { resolver, spec } = setup();
  assert.equal((await resolver.resolve(spec("gl/pangeo%2Ftutorials%2Fintro/release%2F1"))).commit, TAG);
  assert.ok(gl.requests.includes("GET /api/v4/projects/pangeo%2Ftutorials%2Fintro/repository/commits/release%2F1"), gl.requests.join("\n"));
  assert.equal((await resolver.resolve(spec("gl/pangeo%2Ftutorials%2Fintro/HEAD"))).refUrl, `${gl.url}/pangeo/tutorials/intro/-/tree/${MAIN}`);
  await assert.rejects(
    resolver.resolve(spec("gl/pangeo%2Ftutorials%2Fintro/nope")),
    (e: unknown) => e instanceof LaunchError && e.kind === "not-found" && /was not found on GitLab/.test(e.message),
  );
  await assert.rejects(resolver.resolve(spec("gl/pangeo%2Fprivate/HEAD")), (e: unknown) => e instanceof LaunchError && e.kind === "not-found");
});

test("an unreachable API is 'unreachable', not a crash", async () => {
  const config = launchConfigSchema.parse({ github: { apiUrl: "http://127.0.0.1:9" } });
  const resolver = createRefResolver({ settings: providerSettings(config), cacheSeconds: { github: 60, gitlab: 60, git: 60 }, lsRemoteTimeoutSeconds: 5 });
  const s = parseLaunchLink({ path: "gh/org/demo/main", query: new URLSearchParams(), settings: providerSettings(config) }).spec;
  await assert.rejects(resolver.resolve(s), (e: unknown) => e instanceof LaunchError && e.kind === "unreachable" && /could not be reached/.test(e.message));
});
