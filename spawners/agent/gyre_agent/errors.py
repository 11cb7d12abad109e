"""The one exception the agent's steps raise: a reason code plus a message safe to show the user."""

from __future__ import annotations


class AgentError(Exception):
    """A failure to report as a ``failed`` phase.

    reason: a short code the hub can act on ("bad-spec", "url-refused", "git-timeout",
            "git-too-large", "git-failed", "commit-not-found", "env-files", "env-refused",
            "env-build-failed", "env-timeout", "env-lock-timeout", "builder-missing",
            "merge-failed", "internal")
    message: one or two sentences for the launch page
    log_tail: the end of a build log, when there is one
    """

    def __init__(self, reason: str, message: str, log_tail: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.log_tail = log_tail
