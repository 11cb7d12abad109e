"""Gyre's Jupyter server extension: what a user's server serves for Gyre, whichever Jupyter runs it.

Loaded by the spawners (``--ServerApp.jpserver_extensions`` for jupyter_server,
``--NotebookApp.nbserver_extensions`` for notebook 6, or directly by the batch launcher) from a
copy of this package that the spawner puts on ``PYTHONPATH``; nothing is installed in the user's
environment. It adds the dashboard relay (dashboards.py) and reports the server's activity to the hub
(activity.py); under jupyterhub-singleuser, which reports activity itself, it adds the busy-kernel
rule to those reports instead.
"""

from __future__ import annotations

import os

from . import activity, dashboards


def _is_singleuser(app) -> bool:
    """jupyterhub-singleuser's app (make_singleuser_app), which reports activity itself."""
    return any(c.__module__.startswith("jupyterhub.singleuser") for c in type(app).__mro__)


def _install(web_app, base_handler, base_url: str, log, singleuser: bool = False) -> None:
    if singleuser:
        activity.install_busy_rule(web_app, web_app.settings["kernel_manager"], log)
    else:
        activity.install(web_app, web_app.settings["kernel_manager"], log)
    try:
        allowed = dashboards.parse_port_spec(os.environ.get(dashboards.PORT_SPEC_ENV, "8787"))
    except ValueError as e:
        log.error("gyre: %s; dashboards are off", e)
        return
    handler = dashboards.make_handler_class(base_handler, allowed)
    web_app.add_handlers(".*$", [(dashboards.route_pattern(base_url), handler)])
    log.info("gyre: dashboard relay at %sproxy/<port>/ (own sockets only)", base_url)


def _load_jupyter_server_extension(serverapp) -> None:
    """jupyter_server (ServerApp)."""
    from jupyter_server.base.handlers import JupyterHandler

    # under jupyterhub-singleuser JupyterHandler is already patched to log users in through the hub
    _install(serverapp.web_app, JupyterHandler, serverapp.base_url, serverapp.log, _is_singleuser(serverapp))


def load_jupyter_server_extension(app) -> None:
    """notebook 6 (NotebookApp) calls this name; jupyter_server accepts it too."""
    if type(app).__module__.startswith("notebook."):
        from notebook.base.handlers import IPythonHandler

        _install(app.web_app, IPythonHandler, app.base_url, app.log)
    else:
        _load_jupyter_server_extension(app)


def _jupyter_server_extension_points():
    return [{"module": "gyre_agent.jupyter_ext"}]
