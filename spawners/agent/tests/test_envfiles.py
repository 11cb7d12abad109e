"""envfiles: where BinderHub's files are looked for, what requirement files may say, the cache key."""

import os
import tempfile
import unittest

from gyre_agent.envfiles import environment_key, find_env_files, logical_lines, scan_requirements, split_option
from gyre_agent.errors import AgentError


def write(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)


class FindEnvFiles(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_root_files(self):
        write(self.root, {"requirements.txt": "x\n", "apt.txt": "y\n", "postBuild": "z"})
        f = find_env_files(self.root)
        self.assertEqual(f.config_dir, "")
        self.assertEqual(f.found(), ["requirements.txt", "apt.txt", "postBuild"])

    def test_binder_folder_wins_over_root(self):
        write(self.root, {"requirements.txt": "root\n", "binder/environment.yml": "deps\n"})
        f = find_env_files(self.root)
        self.assertEqual(f.config_dir, "binder")
        self.assertEqual(f.found(), ["binder/environment.yml"])

    def test_dot_binder(self):
        write(self.root, {".binder/requirements.txt": "x\n"})
        self.assertEqual(find_env_files(self.root).found(), [".binder/requirements.txt"])

    def test_both_binder_folders_refused(self):
        write(self.root, {"binder/requirements.txt": "x\n", ".binder/requirements.txt": "x\n"})
        with self.assertRaises(AgentError) as e:
            find_env_files(self.root)
        self.assertEqual(e.exception.reason, "env-files")

    def test_symlink_out_of_the_repository_refused(self):
        os.symlink("/etc/passwd", os.path.join(self.root, "requirements.txt"))
        with self.assertRaises(AgentError) as e:
            find_env_files(self.root)
        self.assertIn("points outside the repository", e.exception.message)

    def test_environment_yaml_spelling(self):
        write(self.root, {"environment.yaml": "x\n"})
        self.assertEqual(find_env_files(self.root).found(), ["environment.yaml"])


class Requirements(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def scan(self, text, extra=None):
        write(self.root, dict({"requirements.txt": text}, **(extra or {})))
        return scan_requirements(os.path.join(self.root, "requirements.txt"), self.root)

    def test_allowed(self):
        r = self.scan("numpy>=1.20  # comment\nxarray[io]==2024.1 ; python_version>'3'\n--pre\n--prefer-binary\npkg==1 --hash=sha256:abc\n-r more.txt\n", {"more.txt": "dask\n"})
        self.assertEqual(r["problems"], [])
        self.assertEqual([os.path.basename(p) for p in r["files"]], ["requirements.txt", "more.txt"])
        self.assertFalse(r["local_paths"])

    def test_refused(self):
        cases = [
            ("--index-url https://evil/simple\n", "'--index-url' is not allowed"),
            ("-i https://evil/simple\n", "'-i' is not allowed"),
            ("--extra-index-url=https://evil\n", "'--extra-index-url' is not allowed"),
            ("-f https://evil/links\n", "'-f' is not allowed"),
            ("--trusted-host evil\n", "'--trusted-host' is not allowed"),
            ("git+https://evil/x.git\n", "version control"),
            ("pkg @ https://evil/pkg.whl\n", "installs from a URL"),
            ("https://evil/pkg.tar.gz\n", "installs from a URL"),
            ("-e git+https://evil/x.git#egg=x\n", "version control"),
            ("-r ../../outside.txt\n", "is not in the repository"),
            ("-r missing.txt\n", "is not in the repository"),
        ]
        for text, why in cases:
            r = self.scan(text)
            self.assertTrue(any(why in p for p in r["problems"]), (text, r["problems"]))

    def test_local_paths_tie_the_key_to_the_checkout(self):
        r = self.scan("-e .\n")
        self.assertEqual(r["problems"], [])
        self.assertTrue(r["local_paths"])

    def test_include_cycle_ends(self):
        r = self.scan("-r requirements.txt\nx\n")
        self.assertEqual(r["problems"], [])

    def test_lines(self):
        self.assertEqual(logical_lines("a # c\n# full\nb \\\n  c\n\n"), ["a", "b   c"])
        self.assertEqual(split_option("-rfile.txt"), ("-r", "file.txt"))
        self.assertEqual(split_option("--requirement=x.txt"), ("--requirement", "x.txt"))


class Key(unittest.TestCase):
    def test_key_changes_with_what_decides_the_build(self):
        with tempfile.TemporaryDirectory() as root:
            write(root, {"requirements.txt": "numpy\n", "README.md": "x"})
            f = find_env_files(root)
            inc = [f.requirements]
            k = environment_key(f, inc, {"kind": "venv", "index": None}, "py3.11", False)
            self.assertEqual(k, environment_key(f, inc, {"kind": "venv", "index": None}, "py3.11", False))
            write(root, {"README.md": "other"})
            self.assertEqual(k, environment_key(f, inc, {"kind": "venv", "index": None}, "py3.11", False), "other files do not matter")
            self.assertNotEqual(k, environment_key(f, inc, {"kind": "venv", "index": "https://x"}, "py3.11", False))
            self.assertNotEqual(k, environment_key(f, inc, {"kind": "venv", "index": None}, "py3.12", False))
            self.assertNotEqual(k, environment_key(f, inc, {"kind": "venv", "index": None}, "py3.11", True))
            write(root, {"requirements.txt": "numpy==2\n"})
            self.assertNotEqual(k, environment_key(f, inc, {"kind": "venv", "index": None}, "py3.11", False))


if __name__ == "__main__":
    unittest.main()
