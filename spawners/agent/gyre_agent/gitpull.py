"""``git-pull``: nbgitpuller's links without nbgitpuller. Clones a repository into the user's
folder, or, when the folder is there, fetches and merges so that the user's own work survives.

The rules are nbgitpuller's (its docs, "Automatic Merging Behavior"):
  1. upstream changed a file the user did not: the change arrives;
  2. both changed different lines: merged;
  3. both changed the same lines: the user's version wins (merge -Xours);
  4. the user deleted a file that upstream still has: it comes back (click the link again for
     a fresh copy);
  5. the user created a file that upstream now adds too: the user's is renamed with a timestamp
     (``name__YYYYmmddHHMMSS.ext``) and upstream's takes the name;
  6. a file the user changed was deleted upstream: the user's file is kept.
Histories that cannot be merged (upstream rewrote history, the user committed something
conflicting) end with a ``merge-failed`` reason telling the user to move the folder away.

Spec: {"version": 1, "repo": {"url": "...", "branch": null or "main"}, "targetDir": "...",
       "git": {"allowHttp": false, "depth": 1, "timeoutSeconds": 300, "maxBytes": ...}}
"""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
import time

from . import spec as S
from .errors import AgentError
from .fetch import throttled
from .gitsafe import SafeGit, check_repo_url
from .phases import Reporter
from .prepare import git_options

AUTHOR = ["-c", "user.name=Gyre", "-c", "user.email=gyre@localhost", "-c", "commit.gpgsign=false"]
STALE_INDEX_LOCK_SECONDS = 600


class Puller:
    def __init__(self, url: str, branch, target: str, git: SafeGit, reporter: Reporter, depth: int, timeout_seconds: float, max_bytes: int, now=None):
        self.url = url
        self.branch = branch
        self.target = target
        self.git = git
        self.reporter = reporter
        self.depth = depth
        self.deadline = time.monotonic() + timeout_seconds
        self.max_bytes = max_bytes
        self.now = now or datetime.datetime.now

    def left(self) -> float:
        return max(1.0, self.deadline - time.monotonic())

    def pull(self) -> dict:
        if not self.branch:
            self.branch = self.default_branch()
        if self.branch.startswith("-") or not self.git.ok(["check-ref-format", "refs/heads/" + self.branch], cwd=tempfile.gettempdir()):
            raise AgentError("bad-spec", "%r is not a valid branch name." % self.branch[:100])
        if not os.path.exists(self.target):
            self.clone()
        else:
            self.update()
        head = self.git.output(["rev-parse", "HEAD"], cwd=self.target).strip()
        self.reporter.emit("pulled", "%s is up to date with %s (%s)" % (self.target, self.branch, head[:12]), dir=self.target, commit=head, branch=self.branch)
        return {"dir": self.target, "commit": head, "branch": self.branch}

    def default_branch(self) -> str:
        r = self.git.run(["ls-remote", "--symref", "--", self.url, "HEAD"], cwd=tempfile.gettempdir(), timeout_seconds=self.left())
        for line in r.tail:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "ref:" and parts[1].startswith("refs/heads/"):
                return parts[1][len("refs/heads/"):]
        raise AgentError("git-failed", "Could not find the default branch of %s: %s" % (self.url, r.last_line() or "no answer"))

    def fetch(self, cwd: str, depth: bool) -> None:
        refspec = "+refs/heads/%s:refs/remotes/origin/%s" % (self.branch, self.branch)
        args = ["fetch", "--no-tags", "--progress"] + (["--depth=%d" % self.depth] if depth and self.depth > 0 else []) + ["origin", refspec]
        r = self.git.run(args, cwd=cwd, timeout_seconds=self.left(), watch_dir=cwd, max_bytes=self.max_bytes, on_line=throttled(self.reporter))
        if r.returncode != 0:
            raise AgentError("git-failed", "Fetching branch %s of %s failed: %s" % (self.branch, self.url, r.last_line()), "\n".join(r.tail))

    def clone(self) -> None:
        parent = os.path.dirname(self.target)
        os.makedirs(parent, exist_ok=True)
        work = tempfile.mkdtemp(prefix=".%s.gyre-" % os.path.basename(self.target), dir=parent)
        try:
            self.reporter.emit("fetching", "Cloning %s (%s) into %s" % (self.url, self.branch, self.target))
            self.git.output(["init", "-q", work], cwd=parent)
            self.git.output(["remote", "add", "origin", self.url], cwd=work)
            self.fetch(work, depth=True)
            self.git.output(["checkout", "-q", "-b", self.branch, "--track", "origin/%s" % self.branch], cwd=work)
            os.rename(work, self.target)
        finally:
            if os.path.isdir(work):
                shutil.rmtree(work, ignore_errors=True)

    def update(self) -> None:
        t = self.target
        if not os.path.isdir(os.path.join(t, ".git")):
            raise AgentError("target-exists", "%s exists and is not a git checkout; move it away and click the link again." % t)
        origin = self.git.output(["config", "--get", "remote.origin.url"], cwd=t).strip() if self.git.ok(["config", "--get", "remote.origin.url"], cwd=t) else ""
        if origin.rstrip("/").removesuffix(".git") != self.url.rstrip("/").removesuffix(".git"):
            raise AgentError("target-exists", "%s is a checkout of another repository (%s); move it away or use targetpath= for another folder." % (t, origin or "no origin"))
        self.reporter.emit("fetching", "Fetching %s (%s)" % (self.url, self.branch))
        self.fetch(t, depth=False)
        upstream = "origin/%s" % self.branch
        self.rename_local_untracked(upstream)
        self.reset_deleted_files(upstream)
        self.git.output(["reset", "-q", "--mixed"], cwd=t)
        if not self.git.ok(["diff-files", "--quiet"], cwd=t):
            self.ensure_index_unlocked()
            self.reporter.emit("merging", "Keeping your changes (a local commit)")
            self.commit_all()
        self.ensure_index_unlocked()
        self.merge(upstream)

    def changed_upstream(self, upstream: str, kind: str) -> list:
        out = self.git.output(["diff", "--name-status", "-z", "HEAD.." + upstream], cwd=self.target)
        fields = out.split("\0")
        files = []
        i = 0
        while i < len(fields) - 1:
            status = fields[i]
            if status.startswith(("R", "C")):
                name, i = fields[i + 2], i + 3
            else:
                name, i = fields[i + 1], i + 2
            if status.startswith(kind):
                files.append(name)
        return files

    def rename_local_untracked(self, upstream: str) -> None:
        stamp = self.now().strftime("__%Y%m%d%H%M%S")
        for name in self.changed_upstream(upstream, "A"):
            path = os.path.join(self.target, name)
            if os.path.lexists(path):
                head, tail = os.path.split(path)
                root, ext = os.path.splitext(tail)
                new = os.path.join(head, root + stamp + ext)
                os.rename(path, new)
                self.reporter.emit("merging", "Renamed your %s to %s: the repository now has a file of that name" % (name, os.path.relpath(new, self.target)))

    def reset_deleted_files(self, upstream: str) -> None:
        deleted = [f for f in self.git.output(["ls-files", "--deleted", "-z"], cwd=self.target).split("\0") if f]
        if not deleted:
            return
        self.ensure_index_unlocked()
        deleted_upstream = set(self.changed_upstream(upstream, "D"))
        for name in deleted:
            source = "HEAD" if name in deleted_upstream else upstream
            self.git.output(["checkout", source, "--", name], cwd=self.target)
            self.reporter.emit("merging", "Restored %s, which you had deleted" % name)

    def commit_all(self) -> None:
        self.git.output(AUTHOR + ["commit", "-q", "-a", "--allow-empty", "--no-verify", "-m", "Automatic commit by Gyre (your changes before a git-pull link)"], cwd=self.target)

    def merge(self, upstream: str) -> None:
        self.reporter.emit("merging", "Merging %s" % upstream)
        r = self.git.run(AUTHOR + ["merge", "--no-edit", "-Xours", upstream], cwd=self.target, timeout_seconds=self.left())
        if r.returncode == 0:
            return
        if any(line.startswith("CONFLICT (modify/delete)") for line in r.tail):
            # deleted upstream, changed by the user: keep the user's file
            self.reporter.emit("merging", "Keeping files you changed that the repository deleted")
            self.git.output(["add", "-A"], cwd=self.target)
            self.commit_all()
            return
        self.git.ok(["merge", "--abort"], cwd=self.target)
        raise AgentError("merge-failed", "Your copy in %s cannot be merged with %s (%s). Move the folder away and click the link again for a fresh copy." % (
            self.target, upstream, r.last_line()), "\n".join(r.tail))

    def ensure_index_unlocked(self) -> None:
        lock = os.path.join(self.target, ".git", "index.lock")
        try:
            age = time.time() - os.path.getmtime(lock)
        except FileNotFoundError:
            return
        if age > STALE_INDEX_LOCK_SECONDS:
            os.remove(lock)
            self.reporter.emit("warning", "Removed a stale .git/index.lock")
            return
        raise AgentError("merge-failed", "Another git command is working in %s (.git/index.lock); try again in a few minutes." % self.target)


def run(spec: dict, reporter: Reporter, scratch_dir: str) -> dict:
    repo = S.section(spec, "repo")
    g = git_options(spec)
    url = S.get_str(repo, "url", "repo", required=True)
    check_repo_url(url, g["allow_http"])
    git = SafeGit(allow_http=g["allow_http"], scratch_dir=scratch_dir)
    git.check_version()
    target = S.expand_path(S.get_str(spec, "targetDir", "spec", required=True))
    return Puller(url, S.get_str(repo, "branch", "repo"), target, git, reporter, g["depth"], g["timeout_seconds"], g["max_bytes"]).pull()
