// A local wheelhouse for tests: tiny pure-Python packages written as real wheels (a zip with
// the .dist-info files PEP 427 asks for, RECORD hashes included) by Debian's Python, no network.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const WRITE_WHEEL_PY = String.raw`
import base64, hashlib, json, sys, zipfile, os
out_dir, name, version, source = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
dist = "%s-%s" % (name, version)
files = {
    "%s/__init__.py" % name: source.encode(),
    "%s.dist-info/METADATA" % dist: ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)).encode(),
    "%s.dist-info/WHEEL" % dist: b"Wheel-Version: 1.0\nGenerator: gyre-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
record = "".join("%s,%s,%d\n" % (p, digest(d), len(d)) for p, d in files.items()) + "%s.dist-info/RECORD,,\n" % dist
path = os.path.join(out_dir, "%s-py3-none-any.whl" % dist)
with zipfile.ZipFile(path, "w") as z:
    for p, d in files.items():
        z.writestr(p, d)
    z.writestr("%s.dist-info/RECORD" % dist, record)
print(path)
`;

/** Writes <dir>/<name>-<version>-py3-none-any.whl whose module <name> has `source`; returns its path. */
export function writeWheel(dir: string, name: string, version: string, source: string): string {
  mkdirSync(dir, { recursive: true });
  return execFileSync("/usr/bin/python3", ["-c", WRITE_WHEEL_PY, dir, name, version, source], { encoding: "utf8" }).trim();
}
