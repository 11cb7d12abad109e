"""Reading the JSON spec a spawner writes for a subcommand (its TypeScript twin is
spawners/agent/agent-spec.ts, which builds it). Unknown keys are ignored so that a newer hub can
add fields; missing or mistyped ones are a ``bad-spec`` failure that names the key."""

from __future__ import annotations

import json
import os

from .errors import AgentError

SPEC_VERSION = 1


def load_spec(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
    except OSError as e:
        raise AgentError("bad-spec", "Cannot read the launch spec %s: %s" % (path, e.strerror))
    except ValueError as e:
        raise AgentError("bad-spec", "The launch spec %s is not valid JSON: %s" % (path, e))
    if not isinstance(spec, dict):
        raise AgentError("bad-spec", "The launch spec must be a JSON object.")
    if spec.get("version") != SPEC_VERSION:
        raise AgentError("bad-spec", "The launch spec has version %r; this agent reads version %d." % (spec.get("version"), SPEC_VERSION))
    return spec


def section(spec: dict, key: str) -> dict:
    value = spec.get(key, {})
    if not isinstance(value, dict):
        raise AgentError("bad-spec", "%s must be an object." % key)
    return value


def get_str(obj: dict, key: str, where: str, default=None, required: bool = False):
    value = obj.get(key, default)
    if value is None:
        if required:
            raise AgentError("bad-spec", "%s.%s is required." % (where, key))
        return None
    if not isinstance(value, str):
        raise AgentError("bad-spec", "%s.%s must be a string." % (where, key))
    return value


def get_num(obj: dict, key: str, where: str, default):
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise AgentError("bad-spec", "%s.%s must be a non-negative number." % (where, key))
    return value


def get_bool(obj: dict, key: str, where: str, default: bool) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise AgentError("bad-spec", "%s.%s must be true or false." % (where, key))
    return value


def get_str_list(obj: dict, key: str, where: str) -> list:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AgentError("bad-spec", "%s.%s must be a list of strings." % (where, key))
    return value


def expand_path(path: str) -> str:
    """~ and $HOME are the user's: the agent runs as the user, so expanduser is theirs."""
    return os.path.abspath(os.path.expanduser(path))
