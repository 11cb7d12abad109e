"""envbuild: what the environment step does before any build (the image builder of Kubernetes launches)."""

import io
import json
import os
import tempfile
import unittest

from gyre_agent.envbuild import EnvSettings, prepare_environment
from gyre_agent.phases import PREFIX, Reporter


class ImageBuilder(unittest.TestCase):
    def test_an_image_built_for_the_commit_needs_nothing_installed_even_with_apt_txt(self):
        with tempfile.TemporaryDirectory() as repo:
            for name in ("requirements.txt", "apt.txt", "postBuild"):
                with open(os.path.join(repo, name), "w") as f:
                    f.write("x\n")
            out = io.StringIO()
            self.assertIsNone(prepare_environment(repo, EnvSettings(builder="image", platform="kubernetes"), Reporter(out)))
            events = [json.loads(line[len(PREFIX):]) for line in out.getvalue().splitlines()]
            self.assertEqual([(e["phase"], e["cached"]) for e in events], [("built", True)])
            self.assertIn("image built for this commit", events[0]["message"])


if __name__ == "__main__":
    unittest.main()
