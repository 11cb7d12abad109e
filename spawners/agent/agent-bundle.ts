// I/O: the agent package as one zip (deterministic: sorted names, fixed dates), read once from
// spawners/agent/gyre_agent, and its delivery to the user's account: spawners either write it
// where the account can read it (writeAgentZip: `PYTHONPATH=<zip> python3 -m gyre_agent …`, and
// the server extension gyre_agent.jupyter_ext) or feed it to Python inline (buildAgentBootstrap);
// Kubernetes pods get the extension's own files instead (loadExtensionFiles, in a ConfigMap).
import { readdir, readFile } from "node:fs/promises";
import { chownSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { zipSync, type Zippable } from "fflate";

/** spawners/agent (the folder that contains the gyre_agent package), found from this file: for the
 * hub process and spawners (run by tsx), not for code that Next bundles. */
export const AGENT_SOURCE_DIR = resolve(fileURLToPath(new URL(".", import.meta.url)));

/** File name writeAgentZip uses. */
export const AGENT_ZIP_NAME = "gyre-agent.zip";

/**
 * The files of gyre_agent that its Jupyter server extension (gyre_agent.jupyter_ext) imports, the
 * package's __init__.py among them: what a Kubernetes pod is given to load the extension. A unit
 * test checks that these files import no other module of the package.
 */
export const EXTENSION_FILES = ["__init__.py", "activity.py", "dashboards.py", "jupyter_ext.py"] as const;

const cache = new Map<string, Promise<Uint8Array>>();
const extensionCache = new Map<string, Promise<Record<string, string>>>();

/** The zip of <sourceDir>/gyre_agent/*.py (PYTHONPATH=<zip> python3 -m gyre_agent works with it). */
export function loadAgentZip(sourceDir: string = AGENT_SOURCE_DIR): Promise<Uint8Array> {
  let p = cache.get(sourceDir);
  if (!p) {
    p = buildZip(sourceDir);
    p.catch(() => cache.delete(sourceDir));
    cache.set(sourceDir, p);
  }
  return p;
}

/**
 * The extension's files (EXTENSION_FILES) of <sourceDir>/gyre_agent, file name → UTF-8 text, read
 * once per process.
 */
export function loadExtensionFiles(sourceDir: string = AGENT_SOURCE_DIR): Promise<Record<string, string>> {
  let p = extensionCache.get(sourceDir);
  if (!p) {
    p = readExtensionFiles(sourceDir);
    p.catch(() => extensionCache.delete(sourceDir));
    extensionCache.set(sourceDir, p);
  }
  return p;
}

async function readExtensionFiles(sourceDir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const n of EXTENSION_FILES) files[n] = await readFile(join(sourceDir, "gyre_agent", n), "utf8");
  return files;
}

async function buildZip(sourceDir: string): Promise<Uint8Array> {
  const pkg = join(sourceDir, "gyre_agent");
  const names = (await readdir(pkg)).filter((n) => n.endsWith(".py")).sort();
  if (!names.includes("__main__.py")) throw new Error(`${pkg} is not the gyre_agent package (no __main__.py)`);
  const files: Zippable = {};
  // zip's earliest date: the same bytes every time, whatever the files' times
  const mtime = new Date(1980, 0, 1);
  for (const n of names) files[`gyre_agent/${n}`] = [await readFile(join(pkg, n)), { mtime, level: 6 }];
  return zipSync(files);
}

/**
 * Writes the agent's zip to `<dir>/gyre-agent.zip` (mode 0644, owned by `owner` when given) and
 * returns its path. `dir` must be one the account can read and only it (or the hub) can write,
 * such as a server's private runtime directory: whoever can replace the zip runs code as the user.
 */
export async function writeAgentZip(opts: { dir: string; owner?: { uid: number; gid: number } }): Promise<string> {
  const path = join(opts.dir, AGENT_ZIP_NAME);
  const tmp = `${path}.${process.pid}.tmp`;
  const zip = await loadAgentZip();
  // Synchronous: a few system calls on a fresh local file, where the promise API's round trips
  // through the thread pool (open, write, close, chown, rename) were 4% of the hub's CPU in a
  // storm of starts (bench/README.md phase 3m).
  writeFileSync(tmp, zip, { mode: 0o644, flag: "wx" });
  if (opts.owner) chownSync(tmp, opts.owner.uid, opts.owner.gid);
  renameSync(tmp, path);
  return path;
}
