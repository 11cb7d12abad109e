"""``python3 -m gyre_agent <command> ...``: the agent's entry point.

Commands (each a module with ``run(spec, reporter, scratch_dir)``):
  prepare   --spec-file F [--result-file R]   fetch a repository at a commit, build its environment
  git-pull  --spec-file F                     nbgitpuller-style clone or merge into the user's folder
  version                                     print the agent's version

Progress goes to stderr as phase lines (phases.py), or to --phase-fd N. Exit status: 0 done,
1 failed (the last phase line says why), 2 bad usage, 3 an internal error (a bug).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import traceback

from . import __version__
from .errors import AgentError
from .phases import Reporter
from .spec import load_spec

COMMANDS = ("prepare", "git-pull", "version")


def parse_args(argv: list):
    p = argparse.ArgumentParser(prog="gyre_agent", description="Gyre's agent: launch steps run as the user where the server runs.")
    sub = p.add_subparsers(dest="command", required=True)
    for name, text in (("prepare", "fetch a repository at a commit and prepare its environment"), ("git-pull", "clone or merge a repository into the user's folder")):
        c = sub.add_parser(name, help=text)
        c.add_argument("--spec-file", required=True, help="JSON spec written by the spawner")
        c.add_argument("--phase-fd", type=int, default=None, help="write phase lines to this file descriptor instead of stderr")
        if name == "prepare":
            c.add_argument("--result-file", default=None, help="also write the prepared result (JSON) here")
    sub.add_parser("version", help="print the agent's version")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "version":
        print(__version__)
        return 0
    stream = os.fdopen(args.phase_fd, "w", buffering=1, encoding="utf-8", closefd=False) if args.phase_fd is not None else sys.stderr
    reporter = Reporter(stream)
    scratch = tempfile.mkdtemp(prefix="gyre-agent-")
    try:
        spec = load_spec(args.spec_file)
        if args.command == "prepare":
            from . import prepare
            prepare.run(spec, reporter, scratch, result_file=args.result_file)
        else:
            from . import gitpull
            gitpull.run(spec, reporter, scratch)
        return 0
    except AgentError as e:
        fields = {"reason": e.reason}
        if e.log_tail:
            fields["logTail"] = e.log_tail[-8000:]
        reporter.emit("failed", e.message, **fields)
        return 1
    except Exception as e:  # a bug: say so, keep the traceback for the server log
        traceback.print_exc(file=sys.stderr)
        reporter.emit("failed", "The launch agent failed unexpectedly: %s: %s" % (type(e).__name__, e), reason="internal")
        return 3
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
