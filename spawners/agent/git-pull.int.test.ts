// The agent's `git-pull` (nbgitpuller's links) for real, as the throw-away account gyrelaunch1:
// a first click clones, later clicks merge upstream changes without losing the user's work, by
// nbgitpuller's rules (its "Automatic Merging Behavior" page).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { buildGitPullSpec } from "./agent-spec";
import { launchConfigSchema } from "@/config/launch-section";
import { startGitHttpServer, type GitHttpServer } from "@/app/_lib/launch/testing/git-http-server";
import { git, makeRepo, type TestRepo } from "@/app/_lib/launch/testing/git-repos";
import { accountDir, lastOf, runAgent, testAccount, type TestAccount } from "./testing/run-agent";

const isRoot = process.getuid?.() === 0;
let account: TestAccount;
let work: string;
let srv: GitHttpServer;
let course: TestRepo;

before(async () => {
  account = await testAccount("gyrelaunch1");
  work = accountDir(account, "gyre-git-pull-");
  const root = join(work, "srv");
  mkdirSync(root);
  course = makeRepo(root, "org/course", {
    "week1.ipynb": "line 1\nline 2\nline 3\n",
    "shared.txt": "a\nb\nc\nd\ne\nf\n",
    "to-delete-upstream.txt": "soon gone\n",
    "restore-me.txt": "original\n",
  });
  srv = await startGitHttpServer({ root });
});
after(async () => {
  await srv?.close();
  rmSync(work, { recursive: true, force: true });
});

const spec = (target: string, branch: string | null = null) =>
  buildGitPullSpec({ repoUrl: `${srv.url}/org/course.git`, branch, targetDir: target, allowHttp: true, config: launchConfigSchema.parse({}) });

/** Edits a file as the account (so ownership stays the user's). */
async function asUser(fn: () => void): Promise<void> {
  fn();
  if (isRoot) await execa("chown", ["-R", `${account.uid}:${account.gid}`, join(work, "home")]);
}

test("git-pull: clone on the first click; later clicks merge upstream and keep the user's work (nbgitpuller's rules)", async () => {
  const target = join(work, "home", "course");
  mkdirSync(join(work, "home"), { recursive: true });
  if (isRoot) await execa("chown", [`${account.uid}:${account.gid}`, join(work, "home")]);

  const first = await runAgent({ account, dir: work, command: "git-pull", spec: spec(target) });
  assert.equal(first.exitCode, 0, first.text.join("\n") + JSON.stringify(first.events.at(-1)));
  assert.deepEqual({ ...lastOf(first, "pulled")!, message: "" }, { phase: "pulled", message: "", dir: target, commit: course.head(), branch: "main" });
  assert.equal(readFileSync(join(target, "week1.ipynb"), "utf8"), "line 1\nline 2\nline 3\n");

  // the user works: edits a line (upstream will edit the same line), edits a file upstream deletes,
  // deletes a file, and creates a file upstream will add too
  await asUser(() => {
    writeFileSync(join(target, "week1.ipynb"), "line 1\nMY ANSWER\nline 3\n");
    writeFileSync(join(target, "to-delete-upstream.txt"), "soon gone\nbut I wrote here\n");
    unlinkSync(join(target, "restore-me.txt"));
    writeFileSync(join(target, "solutions.ipynb"), "my own solutions\n");
  });
  // the instructor: same line of week1 changed, a different line of shared.txt, a file deleted, a file added
  course.commit({
    "week1.ipynb": "line 1\nINSTRUCTOR CHANGE\nline 3\n",
    "shared.txt": "a\nb\nc\nd\ne\nF-UPSTREAM\n",
    "to-delete-upstream.txt": null,
    "solutions.ipynb": "official solutions\n",
    "week2.ipynb": "new week\n",
  });
  await asUser(() => writeFileSync(join(target, "shared.txt"), "A-MINE\nb\nc\nd\ne\nf\n"));

  const second = await runAgent({ account, dir: work, command: "git-pull", spec: spec(target, "main") });
  assert.equal(second.exitCode, 0, second.text.join("\n") + JSON.stringify(second.events.slice(-3)));
  // 1. upstream's new file arrives
  assert.equal(readFileSync(join(target, "week2.ipynb"), "utf8"), "new week\n");
  // 2. different lines of one file: both changes
  assert.equal(readFileSync(join(target, "shared.txt"), "utf8"), "A-MINE\nb\nc\nd\ne\nF-UPSTREAM\n");
  // 3. the same line: the user's version wins
  assert.equal(readFileSync(join(target, "week1.ipynb"), "utf8"), "line 1\nMY ANSWER\nline 3\n");
  // 4. a file the user deleted comes back
  assert.equal(readFileSync(join(target, "restore-me.txt"), "utf8"), "original\n");
  // 5. the user's file of the same name as a new upstream file is renamed with a timestamp
  assert.equal(readFileSync(join(target, "solutions.ipynb"), "utf8"), "official solutions\n");
  const renamed = readdirSync(target).filter((n) => /^solutions__\d{14}\.ipynb$/.test(n));
  assert.equal(renamed.length, 1, readdirSync(target).join(","));
  assert.equal(readFileSync(join(target, renamed[0]), "utf8"), "my own solutions\n");
  // 6. a file the user changed but upstream deleted is kept
  assert.equal(readFileSync(join(target, "to-delete-upstream.txt"), "utf8"), "soon gone\nbut I wrote here\n");
  assert.ok(second.events.some((e) => e.phase === "merging" && /Renamed your solutions\.ipynb/.test(e.message)));

  // a third click with nothing new changes nothing
  const third = await runAgent({ account, dir: work, command: "git-pull", spec: spec(target, "main") });
  assert.equal(third.exitCode, 0);
  assert.equal(readFileSync(join(target, "week1.ipynb"), "utf8"), "line 1\nMY ANSWER\nline 3\n");
});

test("git-pull: a folder that is not a checkout, an unknown branch and a bad branch name are refused with a reason", async () => {
  const plain = join(work, "home", "plain");
  mkdirSync(plain, { recursive: true });
  writeFileSync(join(plain, "x"), "x");
  if (isRoot) await execa("chown", ["-R", `${account.uid}:${account.gid}`, plain]);
  const a = await runAgent({ account, dir: work, command: "git-pull", spec: spec(plain, "main") });
  assert.equal(lastOf(a, "failed")!.reason, "target-exists");
  assert.equal(readFileSync(join(plain, "x"), "utf8"), "x", "nothing of the user's is touched");

  // a checkout of another repository is not merged into
  const other = join(work, "home", "other");
  const cloned = await runAgent({ account, dir: work, command: "git-pull", spec: spec(other, "main") });
  assert.equal(cloned.exitCode, 0);
  const elsewhere = { ...spec(other, "main"), repo: { url: `${srv.url}/org/elsewhere.git`, branch: "main" } };
  const d = await runAgent({ account, dir: work, command: "git-pull", spec: elsewhere });
  assert.equal(lastOf(d, "failed")!.reason, "target-exists");
  assert.match(lastOf(d, "failed")!.message, /is a checkout of another repository/);

  const b = await runAgent({ account, dir: work, command: "git-pull", spec: spec(join(work, "home", "nobranch"), "no-such-branch") });
  assert.equal(lastOf(b, "failed")!.reason, "git-failed");
  assert.match(lastOf(b, "failed")!.message, /Fetching branch no-such-branch/);
  assert.ok(!existsSync(join(work, "home", "nobranch")));

  const c = await runAgent({ account, dir: work, command: "git-pull", spec: spec(join(work, "home", "bad"), "--upload-pack=touch /tmp/x") });
  assert.equal(lastOf(c, "failed")!.reason, "bad-spec");
});

test("git-pull: histories that cannot merge end with what to do, and the user's copy is left as it was", async () => {
  const target = join(work, "home", "diverged");
  const first = await runAgent({ account, dir: work, command: "git-pull", spec: spec(target, "main") });
  assert.equal(first.exitCode, 0);
  // upstream rewrites history: a new root commit force-pushed
  git(course.work, ["checkout", "-q", "--orphan", "rewritten"]);
  git(course.work, ["rm", "-q", "-rf", "--cached", "."]);
  writeFileSync(join(course.work, "fresh.txt"), "rewritten history\n");
  git(course.work, ["add", "fresh.txt"]);
  git(course.work, ["commit", "-q", "-m", "rewrite"]);
  git(course.work, ["push", "-q", "-f", "origin", "rewritten:main"]);
  const before = readdirSync(target).sort();
  const r = await runAgent({ account, dir: work, command: "git-pull", spec: spec(target, "main") });
  assert.equal(r.exitCode, 1);
  const f = lastOf(r, "failed")!;
  assert.equal(f.reason, "merge-failed");
  assert.match(f.message, /cannot be merged .* Move the folder away and click the link again/);
  assert.deepEqual(readdirSync(target).sort(), before);
});
