// The extension's file list (what Kubernetes pods get in a ConfigMap): complete, i.e. no file of it
// imports a module of the package outside the list, read from the Python sources themselves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_SOURCE_DIR, EXTENSION_FILES, loadExtensionFiles } from "./agent-bundle";

/** Modules of gyre_agent a Python file imports: `from . import a, b`, `from .a import x`, `import gyre_agent.a`, `from gyre_agent.a import x`. */
function packageImports(py: string): string[] {
  const out: string[] = [];
  for (const m of py.matchAll(/^\s*from \. import ([\w, ]+)/gm)) out.push(...m[1].split(",").map((s) => s.trim().split(/\s+as\s+/)[0]));
  for (const m of py.matchAll(/^\s*from \.(\w+)(?:\.\w+)* import /gm)) out.push(m[1]);
  for (const m of py.matchAll(/^\s*(?:from|import) gyre_agent\.(\w+)/gm)) out.push(m[1]);
  return out.filter(Boolean);
}

test("packageImports reads the forms of package-relative import", () => {
  assert.deepEqual(packageImports("from . import activity, dashboards\nfrom .spec import x\nimport gyre_agent.phases\n    from . import envbuild as E\n"), [
    "activity",
    "dashboards",
    "envbuild",
    "spec",
    "phases",
  ]);
});

test("the extension's files import no module of gyre_agent outside EXTENSION_FILES (jupyter_ext and what it needs)", () => {
  const listed = new Set<string>(EXTENSION_FILES.map((f) => f.replace(/\.py$/, "")));
  assert.ok(listed.has("jupyter_ext") && listed.has("__init__"));
  const missing: string[] = [];
  for (const f of EXTENSION_FILES) {
    for (const mod of packageImports(readFileSync(join(AGENT_SOURCE_DIR, "gyre_agent", f), "utf8"))) {
      // `from . import __version__` names an attribute of __init__, which is listed
      if (!listed.has(mod) && mod !== "__version__") missing.push(`${f} imports ${mod}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("loadExtensionFiles: exactly the listed files, byte for byte the repository's", async () => {
  const files = await loadExtensionFiles();
  assert.deepEqual(Object.keys(files).sort(), [...EXTENSION_FILES].sort());
  for (const f of EXTENSION_FILES) assert.ok(Buffer.from(files[f], "utf8").equals(readFileSync(join(AGENT_SOURCE_DIR, "gyre_agent", f))), f);
});
