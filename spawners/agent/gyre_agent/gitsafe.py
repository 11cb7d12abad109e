"""git with the dangerous parts switched off, and with a wall-clock and a size limit.

What a hostile repository or URL could otherwise do, and what stops it here:
  - run code through transports (``ext::sh -c ...``, ``file://`` reaching other repos on the
    host, ``ssh`` with options): the URL is checked before git runs, and git itself is told to
    allow only https (and http where the admin allows it) through GIT_ALLOW_PROTOCOL and
    ``-c protocol.allow=never`` — this covers submodules and redirects too;
  - run hooks: ``core.hooksPath=/dev/null`` (no file under it can exist), an empty template dir
    at init, and submodules are never recursed into;
  - re-enable any of that through configuration: system and global config are not read
    (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL, and HOME/XDG_CONFIG_HOME pointing at an empty
    folder for older gits), and inherited GIT_* variables (GIT_CONFIG_PARAMETERS...) are dropped;
  - hang on a credential prompt: GIT_TERMINAL_PROMPT=0, no askpass, no credential helper;
  - fill the disk or never finish: the folder git writes to is measured while git runs and git's
    whole process group is killed past the size or time limit, with a message saying which.

Commands are argument lists; nothing goes through a shell.
"""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import threading
import time
from urllib.parse import urlsplit

from .errors import AgentError

# git 2.18: protocol v2 (fetching a commit by id from servers that allow it), protocol.allow,
# core.hooksPath and GIT_ALLOW_PROTOCOL are all older.
MIN_GIT_VERSION = (2, 18)

CHECK_INTERVAL_SECONDS = 0.2
SIZE_CHECK_INTERVAL_SECONDS = 0.5
KILL_GRACE_SECONDS = 2.0


def check_repo_url(url: str, allow_http: bool) -> None:
    """Raises AgentError("url-refused") unless `url` is a plain https (or allowed http) URL."""
    if not isinstance(url, str) or not url:
        raise AgentError("url-refused", "No repository URL was given.")
    if url.startswith("-"):
        raise AgentError("url-refused", "The repository URL may not start with '-'.")
    if any(ord(c) < 33 or c == "\x7f" for c in url):
        raise AgentError("url-refused", "The repository URL contains spaces or control characters.")
    if "::" in url:
        # <transport>::<address> runs a remote helper (ext::, fd::, ...)
        raise AgentError("url-refused", "The repository URL names a git remote helper ('::'), which is not allowed.")
    parts = urlsplit(url)
    allowed = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in allowed:
        shown = parts.scheme or "scp-like"
        raise AgentError("url-refused", "Repository URLs must use %s; %s URLs are not allowed." % (" or ".join(allowed), shown))
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise AgentError("url-refused", "The repository URL contains credentials; use a URL without user name or password.")
    if not parts.hostname:
        raise AgentError("url-refused", "The repository URL has no host.")


def parse_git_version(text: str):
    m = re.search(r"(\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


class SafeGit:
    """Runs git with the protections described above. One instance per agent run."""

    def __init__(self, allow_http: bool, scratch_dir: str, git: str = "git", base_env=None):
        self.git = git
        self.allow_http = allow_http
        # an empty folder, git's HOME: no ~/.gitconfig, no XDG config for gits without GIT_CONFIG_GLOBAL
        self.empty_home = os.path.join(scratch_dir, "git-home")
        os.makedirs(self.empty_home, mode=0o700, exist_ok=True)
        self.empty_template = os.path.join(scratch_dir, "git-template")
        os.makedirs(self.empty_template, mode=0o700, exist_ok=True)
        self.env = self._build_env(os.environ if base_env is None else base_env)

    def _build_env(self, base) -> dict:
        env = {k: v for k, v in base.items() if not k.startswith("GIT_") and k not in ("SSH_ASKPASS", "XDG_CONFIG_HOME")}
        protocols = "https:http" if self.allow_http else "https"
        env.update({
            "GIT_ALLOW_PROTOCOL": protocols,
            "GIT_PROTOCOL_FROM_USER": "0",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "",
            "GCM_INTERACTIVE": "never",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "HOME": self.empty_home,
            "XDG_CONFIG_HOME": self.empty_home,
            "GIT_TEMPLATE_DIR": self.empty_template,
            "LC_ALL": "C",
            "LANG": "C",
        })
        return env

    def config_args(self) -> list:
        args = [
            "-c", "protocol.allow=never",
            "-c", "protocol.https.allow=always",
            "-c", "protocol.http.allow=%s" % ("always" if self.allow_http else "never"),
            "-c", "core.hooksPath=%s" % os.devnull,
            "-c", "core.fsmonitor=false",
            "-c", "submodule.recurse=false",
            "-c", "fetch.recurseSubmodules=false",
            "-c", "credential.helper=",
            "-c", "core.askPass=",
            # a redirect could lead to a host the admin did not allow
            "-c", "http.followRedirects=false",
            "-c", "advice.detachedHead=false",
            "-c", "init.defaultBranch=main",
        ]
        return args

    def check_version(self) -> None:
        try:
            out = subprocess.run([self.git, "--version"], env=self.env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        except FileNotFoundError:
            raise AgentError("git-missing", "git is not installed where the server runs; ask an administrator to install it.")
        version = parse_git_version(out.stdout)
        if not version or version < MIN_GIT_VERSION:
            raise AgentError("git-missing", "git %s is too old where the server runs; Gyre needs git %d.%d or newer." % (out.stdout.strip() or "(unknown)", *MIN_GIT_VERSION))

    def output(self, args: list, cwd: str, timeout_seconds: float = 60) -> str:
        """Runs a quick local git command and returns its stdout; AgentError("git-failed") on failure."""
        r = subprocess.run([self.git, *self.config_args(), *args], cwd=cwd, env=self.env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout_seconds)
        if r.returncode != 0:
            raise AgentError("git-failed", "git %s failed: %s" % (args[0], last_line(r.stderr) or "exit %d" % r.returncode))
        return r.stdout

    def ok(self, args: list, cwd: str, timeout_seconds: float = 60) -> bool:
        r = subprocess.run([self.git, *self.config_args(), *args], cwd=cwd, env=self.env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_seconds)
        return r.returncode == 0

    def run(self, args: list, cwd: str, timeout_seconds: float, watch_dir=None, max_bytes=None, on_line=None) -> "GitRun":
        """Runs git, streaming its output lines to on_line; kills it past the limits (AgentError)."""
        return run_limited([self.git, *self.config_args(), *args], cwd=cwd, env=self.env, timeout_seconds=timeout_seconds,
                           watch_dir=watch_dir, max_bytes=max_bytes, on_line=on_line, what="git " + args[0])


class GitRun:
    def __init__(self, returncode: int, tail: list):
        self.returncode = returncode
        self.tail = tail

    def last_line(self) -> str:
        return self.tail[-1] if self.tail else ""


def run_limited(argv: list, cwd: str, env: dict, timeout_seconds: float, watch_dir=None, max_bytes=None, on_line=None,
                what: str = "the command", log_file=None) -> GitRun:
    """Runs argv in its own process group with a wall-clock limit and an optional size limit on
    watch_dir. Output lines (split on \\r and \\n) go to on_line and to log_file; the last 40 are
    kept. Raises AgentError("git-timeout"/"git-too-large") after killing the whole group."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    tail = collections.deque(maxlen=40)

    def read():
        buf = b""
        while True:
            chunk = proc.stdout.read1(65536) if hasattr(proc.stdout, "read1") else proc.stdout.read(4096)
            if not chunk:
                break
            if log_file is not None:
                log_file.write(chunk)
                log_file.flush()
            buf += chunk
            parts = re.split(rb"[\r\n]", buf)
            buf = parts.pop()
            for p in parts:
                line = p.decode("utf-8", "replace").rstrip()
                if line:
                    tail.append(line)
                    if on_line:
                        on_line(line)
        if buf.strip():
            line = buf.decode("utf-8", "replace").rstrip()
            tail.append(line)
            if on_line:
                on_line(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    start = time.monotonic()
    next_size_check = start
    failure = None
    while proc.poll() is None:
        now = time.monotonic()
        if now - start > timeout_seconds:
            failure = AgentError("git-timeout" if what.startswith("git") else "env-timeout",
                                 "%s took longer than %d seconds (the administrator's limit) and was stopped." % (what.capitalize(), timeout_seconds))
            break
        if watch_dir and max_bytes and now >= next_size_check:
            next_size_check = now + SIZE_CHECK_INTERVAL_SECONDS
            size = folder_bytes(watch_dir)
            if size > max_bytes:
                failure = AgentError("git-too-large", "The repository is larger than the limit of %s set by the administrator (%s written so far); %s was stopped." % (
                    human_bytes(max_bytes), human_bytes(size), what))
                break
        time.sleep(CHECK_INTERVAL_SECONDS)
    if failure is None and watch_dir and max_bytes:
        # a fast download can finish between two checks
        size = folder_bytes(watch_dir)
        if size > max_bytes:
            failure = AgentError("git-too-large", "The repository is larger than the limit of %s set by the administrator (%s); %s was stopped." % (
                human_bytes(max_bytes), human_bytes(size), what))
    if failure is not None:
        kill_group(proc)
        reader.join(timeout=5)
        proc.stdout.close()
        failure.log_tail = "\n".join(tail)
        raise failure
    reader.join(timeout=5)
    proc.stdout.close()
    return GitRun(proc.returncode, list(tail))


def kill_group(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def folder_bytes(path: str) -> int:
    """Bytes of the regular files under path (symlinks not followed; files vanishing meanwhile skipped)."""
    total = 0
    stack = [path]
    while stack:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(e.path)
                        elif e.is_file(follow_symlinks=False):
                            total += e.stat(follow_symlinks=False).st_size
                    except OSError:
                        pass
        except OSError:
            pass
    return total


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return ("%d %s" % (n, unit)) if unit == "bytes" else ("%.1f %s" % (n, unit))
        n /= 1000.0
    return "%d" % n


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else ""
