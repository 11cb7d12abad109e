"""``prepare``: the launch step that runs as the user before the server starts.

1. fetch the repository at the resolved commit into the per-launch folder (fetch.py);
2. build or reuse its environment and register the kernel (envbuild.py);
3. report what the server needs as the ``prepared`` phase (and in --result-file):
     {"dir": folder to serve as the server's root, "commit": ...,
      "environment": null or the cache entry's description,
      "serverEnv": {"JUPYTER_PATH": "<entry>/share/jupyter"}  (to put FIRST on JUPYTER_PATH)}

The spec (written by the hub, spawners/agent/agent-spec.ts):
  {"version": 1,
   "repo": {"url": "https://...", "commit": "<40 hex>", "ref": "main"},
   "targetDir": "~/launches/org-repo-0123abc",
   "git": {"allowHttp": false, "depth": 1, "timeoutSeconds": 300, "maxBytes": 500000000},
   "environment": {"builder": "venv", "cacheDir": "~/.cache/gyre/envs", ...}}
"""

from __future__ import annotations

import json
import os

from . import spec as S
from .envbuild import EnvSettings, prepare_environment, write_json_atomic
from .fetch import FetchOptions, fetch_commit
from .gitsafe import SafeGit
from .phases import Reporter


def git_options(spec: dict) -> dict:
    g = S.section(spec, "git")
    return {
        "allow_http": S.get_bool(g, "allowHttp", "git", False),
        "depth": int(S.get_num(g, "depth", "git", 1)),
        "timeout_seconds": S.get_num(g, "timeoutSeconds", "git", 300),
        "max_bytes": int(S.get_num(g, "maxBytes", "git", 500 * 1000 * 1000)),
    }


def env_settings(spec: dict) -> EnvSettings:
    e = S.section(spec, "environment")
    w = "environment"
    return EnvSettings(
        builder=S.get_str(e, "builder", w, "none"),
        cache_dir=S.get_str(e, "cacheDir", w, "~/.cache/gyre/envs"),
        base_python=S.get_str(e, "basePython", w),
        pip_index_url=S.get_str(e, "pipIndexUrl", w),
        pip_extra_index_urls=S.get_str_list(e, "pipExtraIndexUrls", w),
        wheelhouse=S.get_str(e, "wheelhouse", w),
        only_binary=S.get_bool(e, "onlyBinary", w, False),
        conda_command=S.get_str(e, "condaCommand", w, "mamba"),
        build_timeout_seconds=S.get_num(e, "buildTimeoutSeconds", w, 1800),
        lock_timeout_seconds=S.get_num(e, "lockTimeoutSeconds", w, 1800),
        allow_post_build=S.get_bool(e, "allowPostBuild", w, False),
        ignore_apt_txt=S.get_bool(e, "ignoreAptTxt", w, False),
        platform=S.get_str(e, "platform", w, "local"),
        kernel_display_name=S.get_str(e, "kernelDisplayName", w),
    )


def run(spec: dict, reporter: Reporter, scratch_dir: str, result_file=None) -> dict:
    repo = S.section(spec, "repo")
    g = git_options(spec)
    git = SafeGit(allow_http=g["allow_http"], scratch_dir=scratch_dir)
    git.check_version()
    opts = FetchOptions(
        url=S.get_str(repo, "url", "repo", required=True),
        commit=S.get_str(repo, "commit", "repo", required=True),
        ref=S.get_str(repo, "ref", "repo"),
        target_dir=S.expand_path(S.get_str(spec, "targetDir", "spec", required=True)),
        depth=g["depth"],
        timeout_seconds=g["timeout_seconds"],
        max_bytes=g["max_bytes"],
        allow_http=g["allow_http"],
    )
    settings = env_settings(spec)
    fetched = fetch_commit(opts, git, reporter)
    environment = prepare_environment(fetched["dir"], settings, reporter)
    result = {
        "dir": fetched["dir"],
        "commit": fetched["commit"],
        "environment": environment,
        "serverEnv": {"JUPYTER_PATH": environment["jupyterPath"]} if environment else {},
    }
    if result_file:
        write_json_atomic(os.path.abspath(os.path.expanduser(result_file)), result)
    reporter.emit("prepared", "Ready to start the server in %s" % fetched["dir"], result=result)
    return result


def result_json(result: dict) -> str:
    return json.dumps(result, sort_keys=True)
