"""Build (or reuse) the environment a repository asks for, and register its kernel.

Builders, chosen by the administrator:
  venv   requirements.txt: a venv on top of the server's Python (--system-site-packages, so the
         base stack stays importable and what is already there is not installed again), pip
         from the configured index or a local wheelhouse (--no-index --find-links)
  conda  environment.yml with conda, mamba or micromamba (the configured command); a
         requirements.txt alone still gets a venv
  none   nothing is built; the server's environment is used as it is

The cache: ``<cacheDir>/<key>/`` where key hashes the environment files, the builder settings
and the base Python (envfiles.environment_key). An entry counts only when its marker file
``gyre-env.json`` exists; the marker is written last, atomically (write + rename). Building
happens in the entry's final folder because venvs and conda environments record their own
absolute path (script shebangs, conda's prefix), so a folder built elsewhere and renamed would
be broken. Concurrent launches of the same environment serialise on ``<key>.lock`` (flock): the
first builds, the others wait and reuse. A build that fails or is killed leaves no marker, and
the next build starts over.

A shared cache folder (one for all users) is possible: an entry is reused only when it belongs
to the current user or to root and nobody else can write to it, since anybody who can change an
environment can run code in the kernels of those who use it. An entry that fails that check is
left alone and a private one (``<key>-u<uid>``) is used instead.

The kernel is registered as ``python3`` under ``<entry>/share/jupyter``: with that folder first
on JUPYTER_PATH, jupyter_client finds it before the server's own python3 kernel, so notebooks
whose metadata names python3 (most of them) run in the environment.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

from .envfiles import EnvFiles, environment_key, find_env_files, scan_requirements
from .errors import AgentError
from .gitsafe import run_limited
from .phases import Reporter

MARKER = "gyre-env.json"
KERNEL_NAME = "python3"
LOCK_POLL_SECONDS = 0.5
LOG_TAIL_LINES = 30
# "image": the server runs an image built for this commit (Kubernetes image builds), which holds
# the environment already
BUILDERS = ("none", "venv", "conda", "image")


class EnvSettings:
    def __init__(self, builder="none", cache_dir="~/.cache/gyre/envs", base_python=None, pip_index_url=None, pip_extra_index_urls=(),
                 wheelhouse=None, only_binary=False, conda_command="mamba", build_timeout_seconds=1800, lock_timeout_seconds=1800,
                 allow_post_build=False, ignore_apt_txt=False, platform="local", kernel_display_name=None):
        if builder not in BUILDERS:
            raise AgentError("bad-spec", "environment.builder must be one of %s." % ", ".join(BUILDERS))
        self.builder = builder
        self.cache_dir = cache_dir
        self.base_python = base_python or sys.executable
        self.pip_index_url = pip_index_url
        self.pip_extra_index_urls = list(pip_extra_index_urls)
        self.wheelhouse = wheelhouse
        self.only_binary = only_binary
        self.conda_command = conda_command
        self.build_timeout_seconds = build_timeout_seconds
        self.lock_timeout_seconds = lock_timeout_seconds
        self.allow_post_build = allow_post_build
        self.ignore_apt_txt = ignore_apt_txt
        self.platform = platform
        self.kernel_display_name = kernel_display_name

    def key_settings(self, kind: str) -> dict:
        """The settings that change what a build produces (part of the cache key)."""
        s = {"kind": kind, "allowPostBuild": self.allow_post_build}
        if kind == "venv":
            s.update({"index": self.pip_index_url, "extra": self.pip_extra_index_urls, "wheelhouse": self.wheelhouse, "onlyBinary": self.only_binary})
        else:
            s.update({"conda": self.conda_command})
        return s


def prepare_environment(repo_dir: str, settings: EnvSettings, reporter: Reporter):
    """Returns the environment's description for the spawner, or None when the server's own
    environment is to be used. Raises AgentError with a reason the user can act on."""
    files = find_env_files(repo_dir)
    if settings.builder == "image":
        reporter.emit("built", "The environment is the image built for this commit: nothing to install", cached=True, key=None)
        return None
    check_refused_files(files, settings, reporter)
    kind = "conda" if files.environment else "venv" if files.requirements else None
    if kind is None:
        reporter.emit("built", "No environment files in the repository: using the server's environment", cached=True, key=None)
        return None
    if settings.builder == "none":
        reporter.emit("warning", "This hub does not build environments: %s was not installed; using the server's environment." % ", ".join(files.found()))
        return None
    if kind == "conda" and settings.builder != "conda":
        raise AgentError("env-refused", "This repository describes its environment in %s, which needs conda; this hub builds venvs from requirements.txt only." % os.path.relpath(files.environment, repo_dir))

    included, local_paths = [], False
    if kind == "venv":
        scan = scan_requirements(files.requirements, repo_dir)
        if scan["problems"]:
            raise AgentError("env-refused", " ".join(scan["problems"][:5]))
        included, local_paths = scan["files"], scan["local_paths"]
    python_identity = base_python_identity(settings.base_python)
    key = environment_key(files, included, settings.key_settings(kind), python_identity, local_paths)
    cache_dir = os.path.abspath(os.path.expanduser(settings.cache_dir))
    os.makedirs(cache_dir, mode=0o755, exist_ok=True)
    name = choose_entry_name(cache_dir, key[:32])
    prefix = os.path.join(cache_dir, name)

    start = time.monotonic()
    described = read_marker(prefix)
    if described is not None:
        reporter.emit("built", "Environment cached (%s): nothing to build" % name, cached=True, key=name, seconds=round(time.monotonic() - start, 3))
        return described

    with entry_lock(os.path.join(cache_dir, name + ".lock"), settings.lock_timeout_seconds, reporter):
        described = read_marker(prefix)
        if described is not None:
            reporter.emit("built", "Environment built by another launch meanwhile (%s)" % name, cached=True, key=name, seconds=round(time.monotonic() - start, 3))
            return described
        if os.path.lexists(prefix):
            shutil.rmtree(prefix, ignore_errors=True)
        log, log_path = open_log(os.path.join(cache_dir, name + ".log"))
        try:
            with log:
                builder = VenvBuild(settings, files, prefix, log, reporter) if kind == "venv" else CondaBuild(settings, files, prefix, log, reporter)
                deadline = start + settings.build_timeout_seconds
                builder.build(deadline)
                register_kernel(builder, kind, deadline)
                if files.post_build and settings.allow_post_build:
                    run_post_build(builder, deadline)
        except AgentError as e:
            shutil.rmtree(prefix, ignore_errors=True)
            if e.log_tail is None:
                e.log_tail = file_tail(log_path)
            raise
        described = describe(prefix, builder.python(), key, kind, settings, files, time.monotonic() - start)
        write_marker(prefix, described)
        reporter.emit("built", "Environment built in %.1f s (%s)" % (time.monotonic() - start, name), cached=False, key=name, seconds=round(time.monotonic() - start, 3))
        return described


def check_refused_files(files: EnvFiles, settings: EnvSettings, reporter: Reporter) -> None:
    if files.apt:
        if settings.platform == "kubernetes":
            reporter.emit("warning", "apt.txt is installed by the image build on Kubernetes, not here.")
        elif settings.ignore_apt_txt:
            reporter.emit("warning", "apt.txt was ignored: system packages are not installed for launches on this hub.")
        else:
            raise AgentError("env-refused", "This repository needs system packages (%s), which Gyre installs only for launches on Kubernetes. Ask an administrator to install them where servers run, or to set launch.environment.ignoreAptTxt." % os.path.relpath(files.apt, files.repo_dir))
    if files.post_build and not settings.allow_post_build:
        reporter.emit("warning", "%s was not run: the administrator has not enabled postBuild scripts." % os.path.relpath(files.post_build, files.repo_dir))


def base_python_identity(python: str) -> str:
    r = subprocess.run([python, "-c", "import sys; print(sys.version); print(sys.prefix)"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise AgentError("builder-missing", "The base Python %s does not run." % python)
    return os.path.realpath(python) + "\n" + r.stdout.strip()


def trusted(path: str) -> bool:
    """Whether an existing entry may be used: ours or root's, and writable by nobody else."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid in (os.getuid(), 0) and not (st.st_mode & 0o022)


def choose_entry_name(cache_dir: str, name: str) -> str:
    path = os.path.join(cache_dir, name)
    if not os.path.lexists(path) or trusted(path):
        lock = path + ".lock"
        if not os.path.lexists(lock) or lock_usable(lock):
            return name
    return "%s-u%d" % (name, os.getuid())


def lock_usable(path: str) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return True
    return stat.S_ISREG(st.st_mode)


class entry_lock:
    """flock on <entry>.lock, polled until timeout_seconds (AgentError("env-lock-timeout"))."""

    def __init__(self, path: str, timeout_seconds: float, reporter: Reporter):
        self.path = path
        self.timeout_seconds = timeout_seconds
        self.reporter = reporter
        self.fd = None

    def __enter__(self):
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            self.fd = os.open(self.path, flags, 0o644)
        except PermissionError:
            # another user's lock in a shared cache: reading is enough for flock
            self.fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        start = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            if not told:
                self.reporter.emit("building", "Another launch is building the same environment; waiting for it")
                told = True
            if time.monotonic() - start > self.timeout_seconds:
                os.close(self.fd)
                raise AgentError("env-lock-timeout", "Another launch has been building the same environment for more than %d seconds; try again later." % self.timeout_seconds)
            time.sleep(LOCK_POLL_SECONDS)

    def __exit__(self, *exc):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
        return False


class Build:
    def __init__(self, settings: EnvSettings, files: EnvFiles, prefix: str, log, reporter: Reporter):
        self.settings = settings
        self.files = files
        self.prefix = prefix
        self.log = log
        self.reporter = reporter

    def python(self) -> str:
        return os.path.join(self.prefix, "bin", "python")

    def step(self, message: str, argv: list, deadline: float, env=None, cwd=None, failure: str = "env-build-failed") -> None:
        """Runs one build command with its output in the log and as `building` lines."""
        self.reporter.emit("building", message)
        self.log.write(("$ %s\n" % " ".join(argv)).encode())
        self.log.flush()
        run = run_limited(argv, cwd=cwd or self.files.repo_dir, env=env or build_env(), timeout_seconds=max(1.0, deadline - time.monotonic()),
                          on_line=lambda line: self.reporter.emit("building", line), what=message.rstrip("."), log_file=self.log)
        if run.returncode != 0:
            raise AgentError(failure, "%s failed (exit %d): %s" % (message.rstrip("."), run.returncode, run.last_line()), "\n".join(run.tail[-LOG_TAIL_LINES:]))


class VenvBuild(Build):
    def build(self, deadline: float) -> None:
        s = self.settings
        base_has_pip = subprocess.run([s.base_python, "-c", "import pip"], capture_output=True, stdin=subprocess.DEVNULL, timeout=60).returncode == 0
        argv = [s.base_python, "-m", "venv", "--system-site-packages"] + (["--without-pip"] if base_has_pip else []) + [self.prefix]
        self.step("Creating a venv on top of the server's Python", argv, deadline)
        self.step("Installing %s" % os.path.relpath(self.files.requirements, self.files.repo_dir),
                  self.pip_install(["-r", self.files.requirements]), deadline)

    def pip_install(self, what: list) -> list:
        s = self.settings
        argv = [self.python(), "-m", "pip", "install", "--no-input", "--disable-pip-version-check", "--no-warn-script-location"]
        if s.wheelhouse:
            argv += ["--no-index", "--find-links", os.path.expanduser(s.wheelhouse)]
        else:
            if s.pip_index_url:
                argv += ["--index-url", s.pip_index_url]
            for extra in s.pip_extra_index_urls:
                argv += ["--extra-index-url", extra]
        if s.only_binary:
            argv += ["--only-binary=:all:"]
        return argv + what

    def install_ipykernel(self, deadline: float) -> None:
        self.step("Installing ipykernel (the base Python has none)", self.pip_install(["ipykernel"]), deadline)


class CondaBuild(Build):
    def command(self) -> str:
        found = shutil.which(self.settings.conda_command)
        if not found:
            raise AgentError("builder-missing", "This hub builds environment.yml with %s, but it is not installed where the server runs. Ask an administrator." % self.settings.conda_command)
        return found

    def build(self, deadline: float) -> None:
        exe = self.command()
        env_file = self.files.environment
        if os.path.basename(exe).startswith("micromamba"):
            argv = [exe, "create", "--yes", "--prefix", self.prefix, "--file", env_file]
        else:
            argv = [exe, "env", "create", "--quiet", "--prefix", self.prefix, "--file", env_file]
        self.step("Creating the conda environment from %s" % os.path.relpath(env_file, self.files.repo_dir), argv, deadline)

    def install_ipykernel(self, deadline: float) -> None:
        self.step("Installing ipykernel into the environment", [self.command(), "install", "--yes", "--prefix", self.prefix, "ipykernel"], deadline)


def build_env() -> dict:
    """The builder's environment: the user's, minus pip configuration that would change what a
    cached entry contains (the index comes from the admin's settings only)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "CONDA_", "VIRTUAL_ENV"))}
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONNOUSERSITE": "1", "LC_ALL": "C.UTF-8",
                # ipykernel's debugger otherwise warns about frozen modules on every kernelspec install
                "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    return env


def register_kernel(builder: Build, kind: str, deadline: float) -> None:
    python = builder.python()
    has_kernel = subprocess.run([python, "-c", "import ipykernel"], env=build_env(), capture_output=True, stdin=subprocess.DEVNULL, timeout=120).returncode == 0
    if not has_kernel:
        builder.install_ipykernel(deadline)
    repo_dir = builder.files.repo_dir
    display = builder.settings.kernel_display_name or "Python 3 (%s)" % os.path.basename(os.path.normpath(repo_dir))
    # ipykernel's install writes the spec into a tempfile.mkdtemp(suffix="_kernels") directory and
    # removes the spec but not that directory: one empty /tmp/tmp…_kernels of the user's per build.
    # As its TMPDIR, a scratch directory of ours that goes whole afterwards.
    scratch = tempfile.mkdtemp(prefix="gyre-kernelspec-")
    try:
        builder.step("Registering the environment's kernel",
                     [python, "-m", "ipykernel", "install", "--prefix", builder.prefix, "--name", KERNEL_NAME, "--display-name", display], deadline,
                     env=dict(build_env(), TMPDIR=scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    spec_path = os.path.join(builder.prefix, "share", "jupyter", "kernels", KERNEL_NAME, "kernel.json")
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    # notebook shell commands (!pip, !python) use the environment too; ${PATH} is filled in by
    # jupyter_client from the server's environment when the kernel starts
    env = dict(spec.get("env") or {})
    env["PATH"] = os.path.join(builder.prefix, "bin") + ":${PATH}"
    env["VIRTUAL_ENV" if kind == "venv" else "CONDA_PREFIX"] = builder.prefix
    spec["env"] = env
    spec.setdefault("metadata", {})["gyre"] = {"environment": os.path.basename(builder.prefix)}
    write_json_atomic(spec_path, spec)


def run_post_build(builder: Build, deadline: float) -> None:
    path = builder.files.post_build
    os.chmod(path, os.stat(path).st_mode | 0o100)
    env = build_env()
    env["PATH"] = os.path.join(builder.prefix, "bin") + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    builder.step("Running %s" % os.path.relpath(path, builder.files.repo_dir), [path], deadline, env=env)


def describe(prefix: str, python: str, key: str, kind: str, settings: EnvSettings, files: EnvFiles, seconds: float) -> dict:
    return {
        "key": os.path.basename(prefix),
        "hash": key,
        "prefix": prefix,
        "python": python,
        "kind": kind,
        "kernelName": KERNEL_NAME,
        "jupyterPath": os.path.join(prefix, "share", "jupyter"),
        "files": files.found(),
        "builtAt": time.time(),
        "buildSeconds": round(seconds, 3),
    }


def read_marker(prefix: str):
    path = os.path.join(prefix, MARKER)
    if not trusted(prefix):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            described = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(described, dict) or not os.path.exists(described.get("python", "")):
        return None
    return described


def write_marker(prefix: str, described: dict) -> None:
    write_json_atomic(os.path.join(prefix, MARKER), described)


def write_json_atomic(path: str, obj) -> None:
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def open_log(path: str):
    """(file, path) of the build log beside the entry; a private temporary file when another
    user's log is in the way (shared cache)."""
    try:
        return open(path, "wb"), path
    except PermissionError:
        fd, tmp = tempfile.mkstemp(prefix="gyre-env-build-", suffix=".log")
        return os.fdopen(fd, "wb"), tmp


def file_tail(path: str, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
