"""activity: what the server reports as its last activity, and in which shape."""

import json
import unittest
from datetime import datetime, timedelta, timezone

from gyre_agent import activity

NOW = datetime(2026, 12, 3, 19, 0, 1, 123456, tzinfo=timezone.utc)
EARLIER = NOW - timedelta(hours=2)


class Kernel:
    def __init__(self, state):
        self.execution_state = state


class KernelManager:
    def __init__(self, *states):
        self._kernels = {str(i): Kernel(s) for i, s in enumerate(states)}

    def list_kernel_ids(self):
        return list(self._kernels)


class WebApp:
    def __init__(self, t):
        self.t = t

    def last_activity(self):
        return self.t


class LastActivity(unittest.TestCase):
    def test_busy_kernel_is_activity_now(self):
        self.assertEqual(activity.last_activity(WebApp(EARLIER), KernelManager("idle", "busy"), NOW), NOW)

    def test_idle_server_reports_its_own_last_activity(self):
        self.assertEqual(activity.last_activity(WebApp(EARLIER), KernelManager("idle", "starting"), NOW), EARLIER)
        self.assertEqual(activity.last_activity(WebApp(EARLIER), KernelManager(), NOW), EARLIER)

    def test_naive_times_are_utc(self):
        naive = EARLIER.replace(tzinfo=None)
        self.assertEqual(activity.last_activity(WebApp(naive), KernelManager(), NOW), EARLIER)


class Log:
    def info(self, *a):
        pass


class BusyRule(unittest.TestCase):
    """Under jupyterhub-singleuser: its own reports read web_app.last_activity(), which gets the rule."""

    def test_busy_kernel_makes_last_activity_now(self):
        app, km = WebApp(EARLIER), KernelManager("idle")
        activity.install_busy_rule(app, km, Log())
        self.assertEqual(app.last_activity(), EARLIER)
        km._kernels["0"].execution_state = "busy"
        t = app.last_activity()
        self.assertGreater(t, EARLIER)
        self.assertLess(abs(t - datetime.now(timezone.utc)), timedelta(seconds=5))
        km._kernels["0"].execution_state = "idle"
        self.assertEqual(app.last_activity(), EARLIER)

    def test_no_activity_yet_and_busy(self):
        app = WebApp(None)
        activity.install_busy_rule(app, KernelManager("busy"), Log())
        self.assertIsNotNone(app.last_activity().tzinfo)


class Shape(unittest.TestCase):
    def test_jupyterhub_body(self):
        body = json.loads(activity.report_body("gpu", NOW))
        self.assertEqual(body, {"last_activity": "2026-12-03T19:00:01.123Z", "servers": {"gpu": {"last_activity": "2026-12-03T19:00:01.123Z"}}})

    def test_interval(self):
        self.assertEqual(activity.parse_interval(None), 300)
        self.assertEqual(activity.parse_interval("2.5"), 2.5)
        for bad in ("0", "-1", "soon", "nan"):
            with self.assertRaises(ValueError, msg=bad):
                activity.parse_interval(bad)


if __name__ == "__main__":
    unittest.main()
