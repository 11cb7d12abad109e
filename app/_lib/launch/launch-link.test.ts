// Launch links parsed as BinderHub parses them (its repoproviders: gh splits at the first two
// slashes, gl/git split at the first and %-decode, gist takes an optional third part), and the
// links the "launch a repository" form writes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildLaunchLink, launchUrlPath, parseLaunchLink, serverRedirectPath } from "./launch-link";
import { LaunchError } from "./launch-error";
import { launchConfigSchema } from "@/config/launch-section";
import { providerSettings } from "./providers";

const settings = providerSettings({ ...launchConfigSchema.parse({ allow: { httpHosts: ["git.internal:8080"] } }) });
const parse = (path: string, query = "") => parseLaunchLink({ path, query: new URLSearchParams(query), settings });

test("gh: owner/repo/ref, a ref with slashes, .git dropped, %-escapes decoded", () => {
  const cases: [string, { repoUrl: string; ref: string; shortName: string; subject: object }][] = [
    [
      "gh/binder-examples/requirements/HEAD",
      {
        repoUrl: "https://github.com/binder-examples/requirements",
        ref: "HEAD",
        shortName: "requirements",
        subject: { kind: "github", owner: "binder-examples" },
      },
    ],
    ["gh/org/repo.git/main", { repoUrl: "https://github.com/org/repo", ref: "main", shortName: "repo", subject: { kind: "github", owner: "org" } }],
    ["gh/org/repo/feature/x", { repoUrl: "https://github.com/org/repo", ref: "feature/x", shortName: "repo", subject: { kind: "github", owner: "org" } }],
    ["gh/org/repo/feature%2Fx", { repoUrl: "https://github.com/org/repo", ref: "feature/x", shortName: "repo", subject: { kind: "github", owner: "org" } }],
    ["gh/org/repo/v1.0/", { repoUrl: "https://github.com/org/repo", ref: "v1.0", shortName: "repo", subject: { kind: "github", owner: "org" } }],
    [
      "gh/Org-1/my.repo_x/0123456789abcdef0123456789abcdef01234567",
      {
        repoUrl: "https://github.com/Org-1/my.repo_x",
        ref: "0123456789abcdef0123456789abcdef01234567",
        shortName: "my.repo_x",
        subject: { kind: "github", owner: "Org-1" },
      },
    ],
  ];
  for (const [path, want] of cases) {
    const { spec } = parse(path);
    assert.deepEqual({ repoUrl: spec.repoUrl, ref: spec.ref, shortName: spec.shortName, subject: spec.subject }, want, path);
    assert.equal(spec.provider, "gh");
  }
});

test("gl: url-escaped project path, then the ref (also %-decoded)", () => {
  const { spec } = parse("gl/pangeo%2Ftutorials%2Fintro/release%2F2024");
  assert.equal(spec.repoUrl, "https://gitlab.com/pangeo/tutorials/intro.git");
  assert.equal(spec.ref, "release/2024");
  assert.deepEqual(spec.subject, { kind: "gitlab", project: "pangeo/tutorials/intro" });
  assert.equal(spec.shortName, "intro");
  // a bare path with slashes is not BinderHub's gl spec: "group" is the project, "project/main" the ref
  assert.throws(() => parse("gl/group/project/main"), /not a GitLab project path/);
});

test("git: url-escaped repository URL, https only unless the host is in httpHosts", () => {
  const { spec } = parse(`git/${encodeURIComponent("https://git.example.org/team/notebooks.git")}/main`);
  assert.equal(spec.repoUrl, "https://git.example.org/team/notebooks.git");
  assert.deepEqual(spec.subject, { kind: "git", host: "git.example.org" });
  assert.equal(spec.shortName, "notebooks");
  assert.equal(parse(`git/${encodeURIComponent("http://git.internal:8080/x.git")}/HEAD`).spec.repoUrl, "http://git.internal:8080/x.git");
});

test("gist: user/id with an optional ref; HEAD, main, master and none mean the newest revision", () => {
  for (const tail of ["", "/HEAD", "/main", "/master"]) {
    const { spec } = parse(`gist/alice/8f7c2f0341ef4180b0dbe97f59130756${tail}`);
    assert.equal(spec.ref, "HEAD");
    assert.equal(spec.repoUrl, "https://gist.github.com/alice/8f7c2f0341ef4180b0dbe97f59130756.git");
    assert.deepEqual(spec.subject, { kind: "gist", user: "alice" });
  }
  assert.equal(parse("gist/alice/abc123/0123456789abcdef0123456789abcdef01234567").spec.ref, "0123456789abcdef0123456789abcdef01234567");
});

test("refused links say what is wrong (bad-link)", () => {
  const cases: [string, RegExp][] = [
    ["gh/org/repo", /Did you mean "org\/repo\/HEAD"/],
    ["gh/org", /not of the form/],
    ["gh/-org/repo/main", /not a GitHub user or organisation/],
    ["gh/org/../main", /not a GitHub repository name/],
    ["gh/org/repo/--upload-pack=evil", /not a valid branch, tag or commit/],
    ["gh/org/repo/a..b", /not a valid branch/],
    ["gh/org/repo/%ZZ", /malformed %-escape/],
    ["bb/org/repo/main", /not a launch provider; use one of gh, gl, git, gist/],
    ["gh", /names no repository/],
    [`git/${encodeURIComponent("file:///etc/passwd")}/main`, /file repository URLs cannot be launched/],
    [`git/${encodeURIComponent("ext::sh -c touch% /tmp/pwned")}/main`, /not a plain URL/],
    [`git/${encodeURIComponent("git@github.com:org/repo.git")}/main`, /ssh repository URLs cannot be launched/],
    [`git/${encodeURIComponent("ssh://git@github.com/org/repo.git")}/main`, /ssh repository URLs cannot be launched|ssh repository URLs|cannot be launched/],
    [`git/${encodeURIComponent("http://example.org/x.git")}/main`, /may only be reached over https/],
    [`git/${encodeURIComponent("https://user:secret@example.org/x.git")}/main`, /contains credentials/],
    [`git/${encodeURIComponent("-uhttps://example.org/x.git")}/main`, /not a plain URL/],
    ["gist/alice/abc123/v1", /HEAD or at one of its revisions/],
    ["gist/alice/not-hex!", /not a gist id/],
  ];
  for (const [path, message] of cases) {
    assert.throws(
      () => parse(path),
      (e: unknown) => e instanceof LaunchError && e.kind === "bad-link" && message.test(e.message),
      path,
    );
  }
});

test("what to open: labpath → doc/tree/…, filepath → tree/…, else urlpath without leading slashes", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["urlpath=lab/tree/index.ipynb", "lab/tree/index.ipynb"],
    ["urlpath=%2Flab%2Ftree%2Fa.ipynb", "lab/tree/a.ipynb"],
    ["labpath=notebooks/a b.ipynb", "doc/tree/notebooks/a%20b.ipynb"],
    ["filepath=docs/", "tree/docs"],
    ["urlpath=lab&labpath=x.ipynb", "doc/tree/x.ipynb"],
    ["urlpath=lab&filepath=x.ipynb", "tree/x.ipynb"],
    ["labpath=a.ipynb&filepath=b.ipynb", "doc/tree/a.ipynb"],
  ];
  for (const [query, want] of cases) assert.equal(launchUrlPath(new URLSearchParams(query)), want, query);
});

test("the redirect after launch stays inside the launched server", () => {
  const base = "/user/alice/requirements-1a2b3c4d/";
  const cases: [string, string][] = [
    ["", base],
    ["lab/tree/index.ipynb", `${base}lab/tree/index.ipynb`],
    ["doc/tree/a%20b.ipynb?x=1#h", `${base}doc/tree/a%20b.ipynb?x=1#h`],
    ["https://evil.example/", base],
    ["//evil.example/x", base],
    ["javascript:alert(1)", base],
    ["../../hub/admin", base],
    ["lab/../../../hub/token", base],
    ["..%2f..%2fhub", `${base}..%2f..%2fhub`],
    ["\\\\evil.example", base],
  ];
  for (const [urlPath, want] of cases) assert.equal(serverRedirectPath(base, urlPath), want, urlPath);
});

test("the launch form's link parses back to the same repository and ref; badge Markdown around it", () => {
  const forms = [
    {
      provider: "gh" as const,
      repo: "binder-examples/requirements",
      ref: "feature/x",
      want: { repoUrl: "https://github.com/binder-examples/requirements", ref: "feature/x" },
    },
    { provider: "gl" as const, repo: "pangeo/tutorials/intro", ref: "main", want: { repoUrl: "https://gitlab.com/pangeo/tutorials/intro.git", ref: "main" } },
    { provider: "git" as const, repo: "https://git.example.org/x.git", ref: "", want: { repoUrl: "https://git.example.org/x.git", ref: "HEAD" } },
    { provider: "gist" as const, repo: "alice/abc123", ref: undefined, want: { repoUrl: "https://gist.github.com/alice/abc123.git", ref: "HEAD" } },
  ];
  for (const f of forms) {
    const out = buildLaunchLink({
      publicUrl: "https://hub.example.org/",
      provider: f.provider,
      repo: f.repo,
      ref: f.ref,
      open: { kind: "labpath", path: "a b.ipynb" },
      badgeImageUrl: "https://hub.example.org/hub/launch-badge.svg",
    });
    const url = new URL(out.url);
    assert.ok(url.pathname.startsWith(`/v2/${f.provider}/`), out.url);
    const parsed = parse(url.pathname.slice("/v2/".length), url.search);
    assert.deepEqual({ repoUrl: parsed.spec.repoUrl, ref: parsed.spec.ref }, f.want, out.url);
    assert.equal(parsed.urlPath, "doc/tree/a%20b.ipynb");
    assert.equal(out.markdown, `[![Launch on Gyre](https://hub.example.org/hub/launch-badge.svg)](${out.url})`);
  }
});
