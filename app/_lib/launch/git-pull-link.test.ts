// nbgitpuller's link parameters, read as nbgitpuller reads them (repo, branch, urlpath,
// targetpath, subpath, app), with the refusals a hub needs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchConfigSchema } from "@/config/launch-section";
import { parseGitPullLink } from "./git-pull-link";
import { LaunchError } from "./launch-error";
import { providerSettings } from "./providers";

const settings = providerSettings(launchConfigSchema.parse({ gitlab: { url: "https://gitlab.example.org" } }));
const parse = (q: string) => parseGitPullLink(new URLSearchParams(q), settings);

test("git-pull links: folder, branch, what to open, and what the allow-list sees", () => {
  const a = parse("repo=https://github.com/org/course&branch=main&urlpath=lab/tree/course/week1.ipynb");
  assert.deepEqual(a, {
    repoUrl: "https://github.com/org/course",
    branch: "main",
    targetPath: "course",
    urlPath: "lab/tree/course/week1.ipynb",
    subject: { kind: "github", owner: "org" },
    allowHttp: false,
  });
  assert.equal(parse("repo=https://github.com/org/course.git").targetPath, "course");
  assert.equal(parse("repo=https://github.com/org/course").urlPath, "tree/course");
  assert.equal(parse("repo=https://github.com/org/course&subpath=week1/a.ipynb").urlPath, "notebooks/course/week1/a.ipynb");
  assert.equal(parse("repo=https://github.com/org/course&app=lab&targetpath=my%20course").urlPath, "lab/tree/my%20course");
  assert.deepEqual(parse("repo=https://gitlab.example.org/group/sub/proj.git").subject, { kind: "gitlab", project: "group/sub/proj" });
  assert.deepEqual(parse("repo=https://git.example.org/x.git").subject, { kind: "git", host: "git.example.org" });
});

test("git-pull links refuse what could leave the home or reach other transports", () => {
  const bad: [string, RegExp][] = [
    ["", /needs repo=/],
    ["repo=file:///etc", /file repository URLs/],
    ["repo=ext::sh%20-c%20id", /not a plain URL/],
    ["repo=git@github.com:org/x.git", /ssh/],
    ["repo=https://github.com/org/x&branch=--upload-pack=sh", /not a valid branch/],
    ["repo=https://github.com/org/x&targetpath=../../etc", /targetpath/],
    ["repo=https://github.com/org/x&targetpath=/etc", /targetpath/],
    ["repo=https://github.com/org/x&subpath=../x", /subpath/],
    ["repo=http://github.com/org/x", /https/],
  ];
  for (const [q, msg] of bad)
    assert.throws(
      () => parse(q),
      (e: unknown) => e instanceof LaunchError && e.kind === "bad-link" && msg.test(e.message),
      q,
    );
});
