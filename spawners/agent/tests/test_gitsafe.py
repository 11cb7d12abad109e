"""gitsafe: URL checks, and git itself refusing other transports and skipping the user's config."""

import os
import subprocess
import tempfile
import unittest

from gyre_agent.errors import AgentError
from gyre_agent.gitsafe import SafeGit, check_repo_url, human_bytes, parse_git_version, run_limited


class RepoUrls(unittest.TestCase):
    def test_allowed(self):
        for url in ("https://github.com/org/repo", "https://git.example.org:8443/x.git"):
            check_repo_url(url, allow_http=False)
        check_repo_url("http://git.internal/x.git", allow_http=True)

    def test_refused(self):
        cases = [
            ("", False, "No repository URL"),
            ("-uhttps://x/y", False, "may not start with '-'"),
            ("https://x/a b", False, "spaces or control characters"),
            ("ext::sh", False, "remote helper"),
            ("file:///etc", False, "file URLs are not allowed"),
            ("ssh://git@github.com/x", False, "ssh URLs are not allowed"),
            ("git@github.com:org/x.git", False, "URLs are not allowed"),
            ("git://github.com/x", False, "git URLs are not allowed"),
            ("http://github.com/x", False, "http URLs are not allowed"),
            ("https://user:pw@github.com/x", False, "credentials"),
            ("https://token@github.com/x", False, "credentials"),
            ("https:///x", False, "no host"),
        ]
        for url, allow_http, why in cases:
            with self.assertRaises(AgentError, msg=url) as e:
                check_repo_url(url, allow_http)
            self.assertIn(why, e.exception.message, url)
            self.assertEqual(e.exception.reason, "url-refused")


class GitItself(unittest.TestCase):
    """Even a URL that got past check_repo_url cannot reach another transport."""

    def test_ext_and_file_transports_refused_by_git(self):
        with tempfile.TemporaryDirectory() as tmp:
            marker = os.path.join(tmp, "ran")
            g = SafeGit(allow_http=False, scratch_dir=tmp, base_env={"PATH": "/usr/bin:/bin", "GIT_CONFIG_PARAMETERS": "'protocol.allow'='always'"})
            for url in ("ext::touch %s" % marker, "file://%s" % tmp, tmp):
                r = g.run(["ls-remote", "--", url], cwd=tmp, timeout_seconds=30)
                self.assertNotEqual(r.returncode, 0, url)
                self.assertTrue(any("not allowed" in line for line in r.tail), (url, r.tail))
            self.assertFalse(os.path.exists(marker))

    def test_environment_drops_inherited_git_variables(self):
        with tempfile.TemporaryDirectory() as tmp:
            g = SafeGit(allow_http=True, scratch_dir=tmp, base_env={"PATH": "/usr/bin", "GIT_CONFIG_PARAMETERS": "x", "GIT_DIR": "/", "GIT_SSH_COMMAND": "evil"})
            self.assertNotIn("GIT_CONFIG_PARAMETERS", g.env)
            self.assertNotIn("GIT_DIR", g.env)
            self.assertNotIn("GIT_SSH_COMMAND", g.env)
            self.assertEqual(g.env["GIT_ALLOW_PROTOCOL"], "https:http")
            self.assertEqual(g.env["GIT_CONFIG_GLOBAL"], os.devnull)
            self.assertEqual(g.env["GIT_TERMINAL_PROMPT"], "0")
            self.assertEqual(os.listdir(g.env["HOME"]), [])


class Limits(unittest.TestCase):
    def test_time_limit_kills_the_process_group(self):
        with tempfile.TemporaryDirectory() as tmp:
            child = os.path.join(tmp, "child-ran")
            # the shell starts a grandchild that would write the marker after the limit
            argv = ["/bin/sh", "-c", "(sleep 3; touch %s) & sleep 30" % child]
            with self.assertRaises(AgentError) as e:
                run_limited(argv, cwd=tmp, env={"PATH": "/usr/bin:/bin"}, timeout_seconds=0.5, what="git fetch")
            self.assertEqual(e.exception.reason, "git-timeout")
            import time
            time.sleep(3.5)
            self.assertFalse(os.path.exists(child), "the whole process group was killed")

    def test_size_limit(self):
        with tempfile.TemporaryDirectory() as tmp:
            argv = ["/bin/sh", "-c", "head -c 3000000 /dev/zero > %s/big; sleep 30" % tmp]
            with self.assertRaises(AgentError) as e:
                run_limited(argv, cwd=tmp, env={"PATH": "/usr/bin:/bin"}, timeout_seconds=20, watch_dir=tmp, max_bytes=1000000, what="git fetch")
            self.assertEqual(e.exception.reason, "git-too-large")
            self.assertIn("1.0 MB", e.exception.message)

    def test_helpers(self):
        self.assertEqual(parse_git_version("git version 2.39.5"), (2, 39))
        self.assertEqual(human_bytes(500), "500 bytes")
        self.assertEqual(human_bytes(1500000), "1.5 MB")


if __name__ == "__main__":
    unittest.main()
