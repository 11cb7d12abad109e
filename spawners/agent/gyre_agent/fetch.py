"""Bring a repository at one exact commit into a per-launch folder.

The folder appears only complete: git works in a hidden sibling folder that is renamed into
place at the end, so a failed or killed fetch leaves nothing half-made behind. A folder that is
already there (an earlier launch of the same commit) is used as it is: the files are the user's,
and they may have edited them.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time

from .errors import AgentError
from .gitsafe import SafeGit, check_repo_url, human_bytes, folder_bytes
from .phases import Reporter

COMMIT_PATTERN = re.compile(r"^[0-9a-f]{40}$")
# what git prints while receiving; passed on at most every PROGRESS_EVERY_SECONDS
PROGRESS_EVERY_SECONDS = 1.0


class FetchOptions:
    def __init__(self, url: str, commit: str, ref, target_dir: str, depth: int, timeout_seconds: float, max_bytes: int, allow_http: bool):
        self.url = url
        self.commit = commit
        self.ref = ref
        self.target_dir = target_dir
        self.depth = depth
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes
        self.allow_http = allow_http


def fetch_commit(opts: FetchOptions, git: SafeGit, reporter: Reporter) -> dict:
    """Makes opts.target_dir a checkout of opts.commit. Returns {"dir", "commit", "reused", "seconds"}."""
    check_repo_url(opts.url, opts.allow_http)
    if not COMMIT_PATTERN.match(opts.commit or ""):
        raise AgentError("bad-spec", "The commit to launch must be a full 40-character commit id.")
    start = time.monotonic()
    target = opts.target_dir
    if os.path.isdir(target):
        head = current_commit(git, target)
        if head is None:
            raise AgentError("target-exists", "The folder %s already exists and is not a git checkout; move it away or launch into another folder." % target)
        if head != opts.commit:
            reporter.emit("warning", "The folder %s is at commit %s, not %s; using it as it is (your changes are kept)." % (target, head[:12], opts.commit[:12]))
        reporter.emit("fetched", "Using the files already in %s" % target, commit=head, dir=target, reused=True, seconds=round(time.monotonic() - start, 3))
        return {"dir": target, "commit": head, "reused": True, "seconds": time.monotonic() - start}

    parent = os.path.dirname(target)
    os.makedirs(parent, mode=0o755, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".%s.gyre-" % os.path.basename(target), dir=parent)
    try:
        reporter.emit("fetching", "Fetching %s at %s" % (opts.url, opts.commit[:12]))
        git.output(["init", "-q", work], cwd=parent)
        git.output(["remote", "add", "origin", opts.url], cwd=work)
        fetch_into(opts, git, reporter, work, start)
        reporter.emit("fetching", "Checking out %s" % opts.commit[:12])
        result = git.run(["checkout", "-q", "--detach", opts.commit], cwd=work, timeout_seconds=remaining(opts, start),
                         watch_dir=work, max_bytes=opts.max_bytes)
        if result.returncode != 0:
            raise AgentError("git-failed", "Checking out %s failed: %s" % (opts.commit[:12], result.last_line()), "\n".join(result.tail))
        try:
            os.rename(work, target)
        except OSError:
            if current_commit(git, target) is None:
                raise AgentError("target-exists", "The folder %s appeared while fetching and is not a git checkout." % target)
            # a concurrent launch of the same commit got there first: use its folder
            shutil.rmtree(work, ignore_errors=True)
        seconds = time.monotonic() - start
        reporter.emit("fetched", "Fetched %s (%s) in %.1f s" % (opts.commit[:12], human_bytes(folder_bytes(os.path.join(target, ".git"))), seconds),
                      commit=opts.commit, dir=target, reused=False, seconds=round(seconds, 3))
        return {"dir": target, "commit": opts.commit, "reused": False, "seconds": seconds}
    finally:
        if os.path.isdir(work):
            shutil.rmtree(work, ignore_errors=True)


def fetch_into(opts: FetchOptions, git: SafeGit, reporter: Reporter, work: str, start: float) -> None:
    """Fetches the commit itself (protocol v2 servers such as GitHub and GitLab serve any reachable
    commit); if the server refuses that, fetches the ref it was resolved from and checks that the
    commit is there."""
    depth = ["--depth=%d" % opts.depth] if opts.depth > 0 else []
    progress = throttled(reporter)
    r = git.run(["fetch", "--no-tags", "--progress", *depth, "origin", opts.commit], cwd=work,
                timeout_seconds=remaining(opts, start), watch_dir=work, max_bytes=opts.max_bytes, on_line=progress)
    if r.returncode == 0:
        return
    if not opts.ref or opts.ref == opts.commit:
        raise AgentError("commit-not-found", "The server did not hand out commit %s: %s" % (opts.commit[:12], r.last_line()), "\n".join(r.tail))
    reporter.emit("fetching", "The server does not serve single commits; fetching %s instead" % opts.ref)
    r = git.run(["fetch", "--no-tags", "--progress", "origin", opts.ref], cwd=work,
                timeout_seconds=remaining(opts, start), watch_dir=work, max_bytes=opts.max_bytes, on_line=progress)
    if r.returncode != 0:
        raise AgentError("git-failed", "Fetching %s failed: %s" % (opts.ref, r.last_line()), "\n".join(r.tail))
    if not git.ok(["cat-file", "-e", opts.commit + "^{commit}"], cwd=work):
        raise AgentError("commit-not-found", "Commit %s is not on %s any more." % (opts.commit[:12], opts.ref))


def current_commit(git: SafeGit, folder: str):
    if not os.path.isdir(os.path.join(folder, ".git")):
        return None
    try:
        return git.output(["rev-parse", "--verify", "HEAD^{commit}"], cwd=folder).strip() or None
    except AgentError:
        return None


def remaining(opts: FetchOptions, start: float) -> float:
    return max(1.0, opts.timeout_seconds - (time.monotonic() - start))


def throttled(reporter: Reporter):
    last = [0.0]

    def on_line(line: str) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_SECONDS and ("Receiving objects" in line or "Resolving deltas" in line or "Updating files" in line):
            last[0] = now
            reporter.emit("fetching", line)

    return on_line
