"""Machine-readable progress: one line per event, ``[gyre-phase] {json object}``.

The spawner reads these lines from the agent's stderr (or the fd given with ``--phase-fd``) and
turns them into the launch page's progress events; everything else on that stream is free text
for the server log. The parser on the hub side is spawners/agent/agent-phases.ts; both sides
agree on PREFIX and on the phase names below (a test checks it).

Every object has "phase" and "message" (one line, shown to the user). Phases:
  fetching   a git step has started or made progress
  fetched    the repository is at the requested commit: "commit", "dir", "seconds", "reused"
  building   an environment step, or one line of the build log
  built      the environment is ready: "cached" (true: nothing was built), "key", "seconds"
  warning    something the user should know that does not stop the launch
  merging    git-pull: a merge step
  prepared   the end of ``prepare``: "result" holds what the spawner needs to start the server
  pulled     the end of ``git-pull``: "dir", "commit"
  failed     the end of a failed run: "reason" (a short code), "message", optional "logTail"
"""

from __future__ import annotations

import json
import sys
import threading

PREFIX = "[gyre-phase] "

PHASES = ("fetching", "fetched", "building", "built", "warning", "merging", "prepared", "pulled", "failed")

# longest message kept on one event; build logs can have very long lines
MAX_MESSAGE_CHARS = 2000


class Reporter:
    """Writes phase lines to a text stream (thread-safe: the git watchdog reports too)."""

    def __init__(self, stream=None):
        self._stream = stream if stream is not None else sys.stderr
        self._lock = threading.Lock()

    def emit(self, phase: str, message: str, **fields) -> None:
        if phase not in PHASES:
            raise ValueError("unknown phase %r" % phase)
        event = {"phase": phase, "message": one_line(message)}
        event.update(fields)
        line = PREFIX + json.dumps(event, separators=(",", ":"), sort_keys=False) + "\n"
        with self._lock:
            self._stream.write(line)
            self._stream.flush()


def one_line(text: str) -> str:
    """A message as one line: control characters become spaces, long text is cut."""
    cleaned = "".join(" " if (ord(c) < 32 or c == "\x7f") else c for c in str(text)).strip()
    if len(cleaned) > MAX_MESSAGE_CHARS:
        cleaned = cleaned[: MAX_MESSAGE_CHARS - 1] + "…"
    return cleaned


def format_event(phase: str, message: str, **fields) -> str:
    """The line Reporter.emit writes, without writing it (for tests and the phase-name check)."""
    event = {"phase": phase, "message": one_line(message)}
    event.update(fields)
    return PREFIX + json.dumps(event, separators=(",", ":"))
