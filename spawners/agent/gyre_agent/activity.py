"""Reports the server's activity to the hub, as jupyterhub-singleuser does.

Every ``JUPYTERHUB_ACTIVITY_INTERVAL`` seconds (default 300, jupyterhub-singleuser's) the server
posts ``{"last_activity": t, "servers": {name: {"last_activity": t}}}`` to
``JUPYTERHUB_ACTIVITY_URL`` with its ``JUPYTERHUB_API_TOKEN``. ``t`` is the web application's
last activity (requests, kernel messages, terminals), or now while a kernel is busy: a long
computation sends nothing until it ends, and with the browser closed the server would otherwise
look idle and be culled.

Under jupyterhub-singleuser, which posts the same report itself from ``web_app.last_activity()``,
the extension does not report a second time: it wraps that function with the busy rule instead
(``install_busy_rule``), so the server's own reports say now while a kernel is busy.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

ENV_URL = "JUPYTERHUB_ACTIVITY_URL"
ENV_TOKEN = "JUPYTERHUB_API_TOKEN"
ENV_INTERVAL = "JUPYTERHUB_ACTIVITY_INTERVAL"
DEFAULT_INTERVAL_SECONDS = 300


def any_kernel_busy(kernel_manager) -> bool:
    """Whether a kernel is executing (jupyter_server's and notebook 6's kernel managers track execution_state)."""
    for kernel_id in list(kernel_manager.list_kernel_ids()):
        kernel = kernel_manager._kernels.get(kernel_id)
        if kernel is not None and getattr(kernel, "execution_state", None) == "busy":
            return True
    return False


def last_activity(web_app, kernel_manager, now: datetime) -> datetime:
    """Now while a kernel is busy, else the web application's own last activity."""
    if any_kernel_busy(kernel_manager):
        return now
    t = web_app.last_activity()
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def format_timestamp(t: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as JupyterHub writes them."""
    t = t.astimezone(timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def report_body(server_name: str, t: datetime) -> bytes:
    stamp = format_timestamp(t)
    return json.dumps({"last_activity": stamp, "servers": {server_name: {"last_activity": stamp}}}).encode()


def parse_interval(raw: str | None) -> float:
    if not raw:
        return DEFAULT_INTERVAL_SECONDS
    value = float(raw)
    if not value > 0:
        raise ValueError("%s must be a positive number of seconds, not %r" % (ENV_INTERVAL, raw))
    return value


def install_busy_rule(web_app, kernel_manager, log) -> None:
    """Makes ``web_app.last_activity()`` say now while a kernel is busy (for jupyterhub-singleuser's own reports)."""
    own = web_app.last_activity

    def last_activity_or_busy():
        t = own()
        if any_kernel_busy(kernel_manager):
            return datetime.now(timezone.utc if t is None or t.tzinfo else None)
        return t

    web_app.last_activity = last_activity_or_busy
    log.info("gyre: jupyterhub-singleuser reports activity; a busy kernel counts as activity now")


def install(web_app, kernel_manager, log) -> None:
    """Starts the periodic report when the hub gave this server an activity URL and a token."""
    url, token = os.environ.get(ENV_URL), os.environ.get(ENV_TOKEN)
    if not url or not token:
        log.info("gyre: no %s/%s; activity is not reported to the hub", ENV_URL, ENV_TOKEN)
        return
    try:
        interval = parse_interval(os.environ.get(ENV_INTERVAL))
    except ValueError as e:
        log.error("gyre: %s; activity is not reported to the hub", e)
        return
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    from tornado.ioloop import PeriodicCallback

    server_name = os.environ.get("JUPYTERHUB_SERVER_NAME", "")
    client = AsyncHTTPClient()

    async def report() -> None:
        body = report_body(server_name, last_activity(web_app, kernel_manager, datetime.now(timezone.utc)))
        request = HTTPRequest(
            url,
            method="POST",
            body=body,
            headers={"Authorization": "token " + token, "Content-Type": "application/json"},
            request_timeout=30,
        )
        try:
            await client.fetch(request)
        except Exception as e:  # the hub may be restarting: try again next time
            log.warning("gyre: could not report activity to the hub: %s", e)

    PeriodicCallback(report, interval * 1000).start()
    log.info("gyre: reporting activity to %s every %g s", url, interval)
