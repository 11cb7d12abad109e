"""phases: one JSON object per line behind the prefix; messages always one line."""

import io
import json
import unittest

from gyre_agent.phases import PREFIX, Reporter, format_event


class Phases(unittest.TestCase):
    def test_lines(self):
        out = io.StringIO()
        r = Reporter(out)
        r.emit("fetching", "Fetching\nhttps://x\r\x1b[0m", commit="c")
        r.emit("failed", "x" * 5000, reason="internal")
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertTrue(all(line.startswith(PREFIX) for line in lines))
        first = json.loads(lines[0][len(PREFIX):])
        self.assertEqual(first, {"phase": "fetching", "message": "Fetching https://x  [0m", "commit": "c"})
        self.assertEqual(len(json.loads(lines[1][len(PREFIX):])["message"]), 2000)

    def test_unknown_phase_is_a_bug(self):
        with self.assertRaises(ValueError):
            Reporter(io.StringIO()).emit("teleporting", "x")

    def test_format(self):
        self.assertEqual(format_event("built", "ok", cached=True), PREFIX + '{"phase":"built","message":"ok","cached":true}')


if __name__ == "__main__":
    unittest.main()
