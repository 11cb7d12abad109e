// The program a spawner hands the Python interpreter to run the agent as the user: a few lines
// that carry the agent's zip (base64), write it to a private temporary file, put it on sys.path
// and run `gyre_agent` as __main__. It works fed on stdin (`python3 - prepare --spec-file F`, as
// the batch spawner feeds its launcher) or from a file, and needs nothing of Gyre's installation
// to be readable by the user's account. Pure.

/** Python source running the agent from `zip`; the agent's arguments follow on the command line. */
export function buildAgentBootstrap(zip: Uint8Array): string {
  const b64 = Buffer.from(zip).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return [
    "import base64, os, runpy, sys, tempfile",
    "sys.dont_write_bytecode = True",
    `_ZIP = """${lines.join("\n")}"""`,
    'fd, path = tempfile.mkstemp(prefix="gyre-agent-", suffix=".zip")',
    'with os.fdopen(fd, "wb") as f:',
    "    f.write(base64.b64decode(_ZIP))",
    "sys.path.insert(0, path)",
    'sys.argv[0] = "gyre_agent"',
    "try:",
    '    runpy.run_module("gyre_agent", run_name="__main__", alter_sys=True)',
    "finally:",
    "    os.unlink(path)",
    "",
  ].join("\n");
}
