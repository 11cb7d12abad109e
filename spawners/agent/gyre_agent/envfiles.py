"""Which environment files a repository has, whether Gyre may use them, and the cache key they
give. Reads files, runs nothing.

The files and where they are looked for follow repo2docker (what BinderHub builds with): a
``.binder/`` or ``binder/`` folder, when present, is the only place looked at (both at once is an
error); otherwise the repository's root. ``environment.yml`` (or ``.yaml``) wins over
``requirements.txt``, as in repo2docker, where the conda build pack ignores requirements.txt.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

from .errors import AgentError

# bump when the way environments are built changes, so old cache entries are not reused
ENV_FORMAT = 1

# Options a requirements file may carry. Anything else (--index-url, --extra-index-url,
# --find-links, --trusted-host, ...) would fetch packages from somewhere the admin did not choose.
ALLOWED_REQUIREMENT_OPTIONS = {
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable",
    "--pre", "--prefer-binary", "--only-binary", "--require-hashes", "--hash",
}
FILE_OPTIONS = {"-r", "--requirement", "-c", "--constraint"}
VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
MAX_INCLUDES = 20


class EnvFiles:
    def __init__(self, repo_dir: str, config_dir: str):
        self.repo_dir = repo_dir
        # "" (the root), "binder" or ".binder"
        self.config_dir = config_dir
        self.environment = None
        self.requirements = None
        self.apt = None
        self.post_build = None
        self.runtime = None

    def found(self) -> list:
        return [os.path.relpath(p, self.repo_dir) for p in (self.environment, self.requirements, self.apt, self.post_build, self.runtime) if p]


def find_env_files(repo_dir: str) -> EnvFiles:
    has_binder = os.path.isdir(os.path.join(repo_dir, "binder"))
    has_dot = os.path.isdir(os.path.join(repo_dir, ".binder"))
    if has_binder and has_dot:
        raise AgentError("env-files", "The repository has both a binder/ and a .binder/ folder; they are exclusive (as in repo2docker), so remove one.")
    files = EnvFiles(repo_dir, ".binder" if has_dot else "binder" if has_binder else "")
    base = os.path.join(repo_dir, files.config_dir)
    for name in ("environment.yml", "environment.yaml"):
        if files.environment is None:
            files.environment = inside_file(repo_dir, os.path.join(base, name))
    files.requirements = inside_file(repo_dir, os.path.join(base, "requirements.txt"))
    files.apt = inside_file(repo_dir, os.path.join(base, "apt.txt"))
    files.post_build = inside_file(repo_dir, os.path.join(base, "postBuild"))
    files.runtime = inside_file(repo_dir, os.path.join(base, "runtime.txt"))
    return files


def inside_file(repo_dir: str, path: str):
    """path when it is a regular file inside the repository (a symlink out of it is refused)."""
    if not os.path.lexists(path):
        return None
    real = os.path.realpath(path)
    root = os.path.realpath(repo_dir)
    if not (real == root or real.startswith(root + os.sep)):
        raise AgentError("env-files", "%s points outside the repository; Gyre does not follow it." % os.path.relpath(path, repo_dir))
    if not os.path.isfile(real):
        return None
    return path


def logical_lines(text: str) -> list:
    """Requirement-file lines with continuations joined and comments removed (pip's rules)."""
    out = []
    pending = ""
    for raw in text.splitlines():
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        line = pending + raw
        pending = ""
        line = re.sub(r"(^|\s+)#.*$", "", line).strip()
        if line:
            out.append(line)
    if pending.strip():
        out.append(pending.strip())
    return out


def scan_requirements(path: str, repo_dir: str, _seen=None) -> dict:
    """Checks a requirements file (and the files it includes) against what Gyre allows.

    Returns {"problems": [...], "files": [paths read], "local_paths": bool}. A problem is one
    sentence naming the file, the line and why it is refused."""
    seen = _seen if _seen is not None else []
    result = {"problems": [], "files": [], "local_paths": False}
    if path in seen:
        return result
    seen.append(path)
    if len(seen) > MAX_INCLUDES:
        result["problems"].append("%s: more than %d included requirement files." % (rel(path, repo_dir), MAX_INCLUDES))
        return result
    result["files"].append(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = logical_lines(f.read())
    where = rel(path, repo_dir)
    for line in lines:
        if line.startswith("-"):
            name, value = split_option(line)
            if name not in ALLOWED_REQUIREMENT_OPTIONS:
                result["problems"].append("%s: '%s' is not allowed: packages come only from the package index the administrator configured." % (where, name))
                continue
            if name in FILE_OPTIONS:
                included = os.path.normpath(os.path.join(os.path.dirname(path), value))
                checked = inside_file(repo_dir, included)
                if checked is None:
                    result["problems"].append("%s: the included file %s is not in the repository." % (where, value))
                    continue
                sub = scan_requirements(checked, repo_dir, seen)
                result["problems"].extend(sub["problems"])
                result["files"].extend(sub["files"])
                result["local_paths"] = result["local_paths"] or sub["local_paths"]
            elif name in ("-e", "--editable"):
                problem = check_requirement(value, where)
                if problem:
                    result["problems"].append(problem)
                else:
                    result["local_paths"] = True
            continue
        problem = check_requirement(line.split(";")[0].split(" --")[0].strip(), where)
        if problem:
            result["problems"].append(problem)
        elif is_local_path(line):
            result["local_paths"] = True
    return result


def split_option(line: str):
    """("-r", "other.txt") from "-r other.txt", "--requirement=other.txt" or "-rother.txt"."""
    m = re.match(r"^(-[-\w]*)(?:[=\s]\s*(.*))?$", line)
    name, value = (m.group(1), (m.group(2) or "").strip()) if m else (line, "")
    if not name.startswith("--") and len(name) > 2:
        name, value = name[:2], name[2:] + ((" " + value) if value else "")
    return name, value.strip()


def check_requirement(req: str, where: str):
    lowered = req.lower()
    if lowered.startswith(VCS_PREFIXES) or "://" in lowered or re.search(r"\s@\s", req) or lowered.startswith("file:"):
        return "%s: '%s' installs from a URL or version control, which is not allowed: packages come only from the package index the administrator configured." % (where, req[:120])
    return None


def is_local_path(req: str) -> bool:
    return req.startswith((".", "/")) or os.sep in req.split("[")[0]


def rel(path: str, repo_dir: str) -> str:
    return os.path.relpath(path, repo_dir)


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def environment_key(files: EnvFiles, included: list, settings: dict, python_identity: str, local_paths: bool) -> str:
    """sha256 over everything that decides what gets built: the format, the builder settings, the
    base Python, and the names and contents of the files used. A requirements file that installs
    from the repository itself (``-e .``) ties the environment to that checkout, so its folder is
    part of the key then."""
    h = hashlib.sha256()
    h.update(json.dumps({"format": ENV_FORMAT, "settings": settings, "python": python_identity,
                         "checkout": os.path.realpath(files.repo_dir) if local_paths else None}, sort_keys=True).encode())
    used = [files.environment] if files.environment else list(included)
    if settings.get("allowPostBuild") and files.post_build:
        used.append(files.post_build)
    for path in used:
        name = rel(path, files.repo_dir).encode()
        data = read_bytes(path)
        h.update(b"\0%d:%s\0%d:" % (len(name), name, len(data)))
        h.update(data)
    return h.hexdigest()
