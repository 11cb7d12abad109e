"""Gyre's agent: the work that runs as the end user where a Jupyter server runs.

The hub never runs this code itself. A spawner feeds it to the Python interpreter that will run
the user's Jupyter server (on the hub host, on a compute node inside a batch job, in a pod), as
the user, before the server starts. Python is there wherever Jupyter is, so the agent uses the
standard library only (Python 3.9+) and can run from this folder or from a zip of it:

    PYTHONPATH=/path/to/spawners/agent python3 -m gyre_agent prepare --spec-file SPEC.json

Two ways in:
  - commands, run before the server starts (``__main__.COMMANDS``): ``prepare`` (prepare.py:
    fetch.py, envfiles.py, envbuild.py) and ``git-pull`` (gitpull.py), with the shared pieces
    ``phases`` (machine-readable progress lines), ``gitsafe`` (git with hooks, dangerous
    transports and unbounded downloads ruled out) and ``spec`` (the JSON the spawner writes);
  - a Jupyter server extension, loaded by the running server: ``jupyter_ext`` (dashboards.py).
"""

__version__ = "1"
