// Test repositories made with the real git: a work tree that commits and pushes into a bare
// repository under a server root (see git-http-server.ts). Author and config are fixed so that
// nothing on the machine (a global ~/.gitconfig) changes what gets made.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const GIT_ENV = {
  PATH: "/usr/bin:/bin",
  HOME: "/nonexistent",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.org",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.org",
  LC_ALL: "C",
};

export function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, env: GIT_ENV as unknown as NodeJS.ProcessEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export interface TestRepo {
  /** the bare repository the server serves (<root>/<name>.git) */
  bare: string;
  /** the work tree the test edits */
  work: string;
  /** writes (or with null: deletes) files, commits on the current branch, pushes; returns the commit */
  commit(files: Record<string, string | Buffer | null>, message?: string): string;
  /** a tag at HEAD (annotated when a message is given), pushed */
  tag(name: string, message?: string): void;
  /** switches the work tree to branch `name` (created from HEAD when new) */
  branch(name: string): void;
  head(): string;
}

/** Makes <root>/<name>.git with a first commit of `files` on branch main. */
export function makeRepo(root: string, name: string, files: Record<string, string | Buffer | null>): TestRepo {
  const bare = join(root, `${name}.git`);
  const work = join(root, `.work-${name.replace(/\//g, "_")}`);
  mkdirSync(dirname(bare), { recursive: true });
  git(root, ["init", "-q", "--bare", "-b", "main", bare]);
  git(root, ["init", "-q", "-b", "main", work]);
  git(work, ["remote", "add", "origin", bare]);
  const repo: TestRepo = {
    bare,
    work,
    commit(changes, message = "change") {
      for (const [path, content] of Object.entries(changes)) {
        const p = join(work, path);
        if (content === null) rmSync(p, { force: true });
        else {
          mkdirSync(dirname(p), { recursive: true });
          writeFileSync(p, content);
        }
      }
      git(work, ["add", "-A"]);
      git(work, ["commit", "-q", "--allow-empty", "-m", message]);
      git(work, ["push", "-q", "origin", "HEAD"]);
      return repo.head();
    },
    tag(tagName, message) {
      git(work, message ? ["tag", "-a", "-m", message, tagName] : ["tag", tagName]);
      git(work, ["push", "-q", "origin", `refs/tags/${tagName}`]);
    },
    branch(branchName) {
      git(work, ["checkout", "-q", "-B", branchName]);
    },
    head: () => git(work, ["rev-parse", "HEAD"]),
  };
  repo.commit(files, "first");
  return repo;
}
