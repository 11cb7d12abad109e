import { test } from "node:test";
import assert from "node:assert/strict";
import {
  buildAgentLaunch,
  buildLogFileName,
  runtimeDirPrefix,
  buildServerLaunch,
  detectServerFlavor,
  isPortTakenLog,
  resolveAgentPython,
  userPrefixOf,
  usesHubAuth,
  type ServerLaunchOptions,
} from "./command";

const base: ServerLaunchOptions = {
  spawnId: "sp-1",
  command: ["/usr/bin/jupyter", "server"],
  extraArgs: [],
  port: 40123,
  baseUrl: "/user/alice/",
  notebookDir: "/home/alice/work",
  defaultUrl: "/tree",
  runtimeDir: "/tmp/gyre-alice-abc123",
  runAsRoot: false,
  switchUser: null,
  account: { name: "alice", home: "/home/alice", shell: "/bin/bash" },
  hubUser: "alice",
  serverName: "",
  token: "s3cret-token",
  apiToken: "hub-api-t0ken",
  hubEnv: { LANG: "de_DE.UTF-8", TZ: "Europe/Berlin", GYRE_HUB__SECRET_KEY: "hub-secret", PATH: "/root/.pyenv/bin:/usr/bin", HOME: "/root" },
  envPassthrough: ["LANG", "LC_ALL", "TZ"],
  configEnv: {},
  ctxEnv: {},
};

test("jupyter server as a non-root user: exact argv, no setpriv", () => {
  const l = buildServerLaunch(base);
  assert.equal(l.flavor, "server");
  assert.equal(l.file, "/usr/bin/jupyter");
  assert.equal(l.cwd, "/home/alice");
  assert.deepEqual(l.args, [
    "server",
    "--ServerApp.ip=127.0.0.1",
    "--ServerApp.port=40123",
    "--ServerApp.port_retries=0",
    "--ServerApp.base_url=/user/alice/",
    "--ServerApp.root_dir=/home/alice/work",
    "--ServerApp.default_url=/tree",
    "--ServerApp.open_browser=False",
    "--ServerApp.allow_remote_access=True",
    "--ServerApp.trust_xheaders=True",
    "--ServerApp.quit_button=False",
    "--ServerApp.cookie_secret_file=/tmp/gyre-alice-abc123/cookie_secret",
  ]);
});

test("hub is root: wrapped in setpriv with the account's ids and groups, still no --allow-root", () => {
  const l = buildServerLaunch({
    ...base,
    switchUser: { uid: 1001, gid: 1002, setprivPath: "/usr/bin/setpriv" },
    extraArgs: ["--ServerApp.iopub_data_rate_limit=1e10"],
  });
  assert.equal(l.file, "/usr/bin/setpriv");
  assert.deepEqual(l.args.slice(0, 6), ["--reuid=1001", "--regid=1002", "--init-groups", "--", "/usr/bin/jupyter", "server"]);
  assert.equal(l.args.at(-1), "--ServerApp.iopub_data_rate_limit=1e10");
  assert.ok(!l.args.includes("--allow-root"));
});

test("--allow-root only when the server itself runs as uid 0", () => {
  assert.equal(buildServerLaunch({ ...base, runAsRoot: true }).args.at(-1), "--allow-root");
  assert.ok(!buildServerLaunch(base).args.includes("--allow-root"));
});

test("jupyter notebook: NotebookApp flags, notebook_dir, xsrf cookie scoped to base_url", () => {
  const l = buildServerLaunch({ ...base, command: ["/usr/bin/jupyter", "notebook"], serverName: "gpu", baseUrl: "/user/alice/gpu/" });
  assert.equal(l.flavor, "notebook");
  assert.deepEqual(l.args, [
    "notebook",
    "--NotebookApp.ip=127.0.0.1",
    "--NotebookApp.port=40123",
    "--NotebookApp.port_retries=0",
    "--NotebookApp.base_url=/user/alice/gpu/",
    "--NotebookApp.notebook_dir=/home/alice/work",
    "--NotebookApp.default_url=/tree",
    "--NotebookApp.open_browser=False",
    "--NotebookApp.allow_remote_access=True",
    "--NotebookApp.trust_xheaders=True",
    "--NotebookApp.quit_button=False",
    "--NotebookApp.cookie_secret_file=/tmp/gyre-alice-abc123/cookie_secret",
    '--NotebookApp.tornado_settings={"xsrf_cookie_kwargs":{"path":"/user/alice/gpu/"}}',
  ]);
});

test("flavor detection", () => {
  assert.equal(detectServerFlavor(["/usr/bin/jupyter", "server"]), "server");
  assert.equal(detectServerFlavor(["/usr/bin/jupyter", "nbclassic"]), "server");
  assert.equal(detectServerFlavor(["jupyter-notebook"]), "notebook");
  assert.equal(detectServerFlavor(["/usr/bin/jupyter-notebook", "--debug"]), "notebook");
  assert.equal(detectServerFlavor(["/usr/bin/jupyter", "server", "notebook"]), "server");
  assert.equal(detectServerFlavor(["/usr/bin/jupyterhub-singleuser"]), "singleuser");
  assert.equal(detectServerFlavor(["/usr/bin/python3", "-m", "jupyterhub.singleuser", "--debug"]), "singleuser");
  assert.equal(detectServerFlavor(["/usr/bin/jupyter", "server", "-m", "jupyterhub.singleuser"]), "server");
  assert.equal(usesHubAuth(["/usr/bin/jupyterhub-singleuser"]), true);
  assert.equal(usesHubAuth(["/usr/bin/jupyter", "server"]), false);
});

test("jupyterhub-singleuser: ServerApp flags, Gyre's extension from the agent first on PYTHONPATH, JupyterHub's environment", () => {
  const agentZip = "/tmp/gyre-alice-abc123/gyre-agent.zip";
  const launch = buildServerLaunch({ ...base, command: ["/usr/bin/jupyterhub-singleuser"], agentZip });
  assert.equal(launch.file, "/usr/bin/jupyterhub-singleuser");
  assert.ok(launch.args.includes("--ServerApp.port=40123"));
  assert.ok(launch.args.includes("--ServerApp.base_url=/user/alice/"));
  assert.ok(launch.args.includes("--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True"));
  assert.equal(launch.env.PYTHONPATH, agentZip);
  assert.equal(launch.env.JUPYTERHUB_SERVICE_URL, "http://127.0.0.1:40123/user/alice/");
  // a unix socket has no URL JupyterHub's form could give
  const sock = buildServerLaunch({ ...base, command: ["/usr/bin/jupyterhub-singleuser"], socketPath: "/tmp/gyre-alice-abc123/jupyter.sock" });
  assert.equal(sock.env.JUPYTERHUB_SERVICE_URL, undefined);
  assert.ok(sock.args.includes("--ServerApp.sock=/tmp/gyre-alice-abc123/jupyter.sock"));
});

test("environment is an allow-list: exact contents for the default server", () => {
  assert.deepEqual(buildServerLaunch(base).env, {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    LANG: "de_DE.UTF-8",
    TZ: "Europe/Berlin",
    SHELL: "/bin/bash",
    JUPYTERHUB_USER: "alice",
    JUPYTERHUB_SERVER_NAME: "",
    JUPYTERHUB_SERVICE_PREFIX: "/user/alice/",
    JUPYTERHUB_SERVICE_URL: "http://127.0.0.1:40123/user/alice/",
    JUPYTERHUB_DEFAULT_URL: "/tree",
    JUPYTERHUB_ROOT_DIR: "/home/alice/work",
    DASK_DISTRIBUTED__DASHBOARD__LINK: "/user/alice/proxy/{port}/status",
    HOME: "/home/alice",
    USER: "alice",
    LOGNAME: "alice",
    JUPYTER_TOKEN: "s3cret-token",
    JUPYTER_RUNTIME_DIR: "/tmp/gyre-alice-abc123",
    JUPYTERHUB_API_TOKEN: "hub-api-t0ken",
    JPY_API_TOKEN: "hub-api-t0ken",
    GYRE_SPAWN_ID: "sp-1",
  });
});

test("named server: Dask link still under the user's prefix; service prefix is the server's", () => {
  const env = buildServerLaunch({ ...base, serverName: "gpu", baseUrl: "/user/alice/gpu/" }).env;
  assert.equal(env.DASK_DISTRIBUTED__DASHBOARD__LINK, "/user/alice/proxy/{port}/status");
  assert.equal(env.JUPYTERHUB_SERVICE_PREFIX, "/user/alice/gpu/");
  assert.equal(env.JUPYTERHUB_SERVER_NAME, "gpu");
});

test("layers: config env < ctx env; identity and token cannot be overridden; hub secrets never pass", () => {
  const env = buildServerLaunch({
    ...base,
    envPassthrough: ["LANG", "GYRE_HUB__SECRET_KEY", "JUPYTER_TOKEN"],
    hubEnv: { ...base.hubEnv, JUPYTER_TOKEN: "hub-token" },
    configEnv: { PATH: "/opt/conda/bin:/usr/bin:/bin", FOO: "config", HOME: "/evil" },
    ctxEnv: { FOO: "ctx", DASK_DISTRIBUTED__DASHBOARD__LINK: "/custom/{port}", JUPYTER_TOKEN: "other", JUPYTERHUB_API_TOKEN: "other", JPY_API_TOKEN: "other" },
  }).env;
  assert.equal(env.JUPYTERHUB_API_TOKEN, "hub-api-t0ken");
  assert.equal(env.JPY_API_TOKEN, "hub-api-t0ken");
  assert.equal(env.PATH, "/opt/conda/bin:/usr/bin:/bin");
  assert.equal(env.FOO, "ctx");
  assert.equal(env.DASK_DISTRIBUTED__DASHBOARD__LINK, "/custom/{port}");
  assert.equal(env.HOME, "/home/alice");
  assert.equal(env.JUPYTER_TOKEN, "s3cret-token");
  assert.equal(env.GYRE_HUB__SECRET_KEY, undefined);
  assert.ok(!Object.values(env).includes("hub-secret"));
});

test("the token appears in the environment only, never in argv", () => {
  for (const command of [
    ["/usr/bin/jupyter", "server"],
    ["/usr/bin/jupyter", "notebook"],
  ]) {
    const l = buildServerLaunch({ ...base, command, switchUser: { uid: 1, gid: 1, setprivPath: "/usr/bin/setpriv" } });
    assert.ok(![l.file, ...l.args].some((a) => a.includes("s3cret-token") || a.includes("hub-api-t0ken")));
    assert.equal(l.env.JUPYTER_TOKEN, "s3cret-token");
  }
});

test("userPrefixOf, log file names, port-taken detection", () => {
  assert.equal(userPrefixOf("/user/alice/", ""), "/user/alice/");
  assert.equal(userPrefixOf("/user/alice/gpu/", "gpu"), "/user/alice/");
  assert.equal(buildLogFileName("/data/logs", "alice", "", "ab12"), "/data/logs/alice-ab12.log");
  assert.equal(buildLogFileName("/data/logs/", "alice", "gpu", "ab12"), "/data/logs/alice-gpu-ab12.log");
  assert.equal(buildLogFileName("/data/logs", "../x", "a/b", "..id"), "/data/logs/__x-a_b-_id.log");
  assert.ok(isPortTakenLog("[C 11:00 ServerApp] ERROR: the Jupyter server could not be started because port 7107 is not available.", 7107));
  assert.ok(!isPortTakenLog("[C 11:00 ServerApp] ERROR: the Jupyter server could not be started because port 7107 is not available.", 7108));
  assert.ok(!isPortTakenLog("ModuleNotFoundError", 7107));
});

test("a python environment prefix: its bin/ first on PATH, conda or virtualenv markers, nothing else changes", () => {
  const conda = buildServerLaunch({ ...base, pythonEnvironment: { prefix: "/opt/conda/envs/pangeo", conda: true } }).env;
  assert.equal(conda.PATH, "/opt/conda/envs/pangeo/bin:/usr/local/bin:/usr/bin:/bin");
  assert.equal(conda.CONDA_PREFIX, "/opt/conda/envs/pangeo");
  assert.equal(conda.VIRTUAL_ENV, undefined);
  const venv = buildServerLaunch({ ...base, pythonEnvironment: { prefix: "/srv/venvs/geo", conda: false } }).env;
  assert.equal(venv.PATH, "/srv/venvs/geo/bin:/usr/local/bin:/usr/bin:/bin");
  assert.equal(venv.VIRTUAL_ENV, "/srv/venvs/geo");
  assert.equal(venv.CONDA_PREFIX, undefined);
  assert.equal(buildServerLaunch(base).env.PATH, "/usr/local/bin:/usr/bin:/bin");
  assert.equal(buildServerLaunch(base).env.VIRTUAL_ENV, undefined);
});

test("a launch's environment wins over the admin's and the hub's JUPYTER_PATH", () => {
  const l = buildServerLaunch({
    ...base,
    configEnv: { JUPYTER_PATH: "/site" },
    ctxEnv: { JUPYTER_PATH: "/hub" },
    launchEnv: { JUPYTER_PATH: "/env/share/jupyter:/hub" },
  });
  assert.equal(l.env.JUPYTER_PATH, "/env/share/jupyter:/hub");
});

test("the launch agent runs with the server's Python, as the server's account, with an allow-listed environment", () => {
  assert.equal(resolveAgentPython({ command: ["/usr/bin/jupyter", "server"], shebang: "#!/usr/bin/python3" }), "/usr/bin/python3");
  assert.equal(resolveAgentPython({ command: ["/opt/x/bin/jupyter"], shebang: "#!/usr/bin/env python3.11" }), "python3.11");
  assert.equal(
    resolveAgentPython({ command: ["/opt/x/bin/jupyter"], pythonEnvironment: { prefix: "/opt/conda/envs/pangeo" } }),
    "/opt/conda/envs/pangeo/bin/python",
  );
  assert.equal(resolveAgentPython({ command: ["jupyter"], shebang: "#!/bin/sh" }), "/usr/bin/python3");
  const a = buildAgentLaunch({
    python: "/usr/bin/python3",
    agentZip: "/tmp/gyre-rt-alice-x/gyre-agent.zip",
    specFile: "/tmp/gyre-rt-alice-x/launch-spec.json",
    switchUser: { uid: 1001, gid: 1001, setprivPath: "/usr/bin/setpriv" },
    account: base.account,
    hubEnv: base.hubEnv,
    envPassthrough: base.envPassthrough,
    configEnv: { HTTPS_PROXY: "http://proxy:3128", PYTHONPATH: "/evil", HOME: "/elsewhere" },
  });
  assert.deepEqual(
    [a.file, ...a.args],
    [
      "/usr/bin/setpriv",
      "--reuid=1001",
      "--regid=1001",
      "--init-groups",
      "--",
      "/usr/bin/python3",
      "-m",
      "gyre_agent",
      "prepare",
      "--spec-file",
      "/tmp/gyre-rt-alice-x/launch-spec.json",
    ],
  );
  assert.deepEqual(a.env, {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    LANG: "de_DE.UTF-8",
    TZ: "Europe/Berlin",
    HTTPS_PROXY: "http://proxy:3128",
    HOME: "/home/alice",
    USER: "alice",
    LOGNAME: "alice",
    PYTHONPATH: "/tmp/gyre-rt-alice-x/gyre-agent.zip",
  });
  assert.equal(a.cwd, "/home/alice");
});

test("unix socket and Gyre's extension: sock instead of ip/port, the relay loaded, the agent first on PYTHONPATH", () => {
  const withSocket = { ...base, socketPath: "/tmp/gyre-alice-abc123/jupyter.sock", agentZip: "/tmp/gyre-alice-abc123/gyre-agent.zip" };
  const l = buildServerLaunch({ ...withSocket, configEnv: { PYTHONPATH: "/opt/site" } });
  assert.deepEqual(l.args.slice(0, 3), ["server", "--ServerApp.sock=/tmp/gyre-alice-abc123/jupyter.sock", "--ServerApp.sock_mode=0600"]);
  assert.ok(!l.args.some((a) => /\.(ip|port|port_retries)=/.test(a)), "jupyter refuses --port together with --sock");
  assert.ok(l.args.includes("--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True"));
  assert.equal(l.env.PYTHONPATH, "/tmp/gyre-alice-abc123/gyre-agent.zip:/opt/site");
  assert.equal(buildServerLaunch(withSocket).env.PYTHONPATH, "/tmp/gyre-alice-abc123/gyre-agent.zip");

  const nb = buildServerLaunch({ ...withSocket, command: ["/usr/bin/jupyter", "notebook"] });
  assert.deepEqual(nb.args.slice(1, 3), ["--NotebookApp.sock=/tmp/gyre-alice-abc123/jupyter.sock", "--NotebookApp.sock_mode=0600"]);
  assert.ok(nb.args.includes("--NotebookApp.nbserver_extensions=gyre_agent.jupyter_ext=True"));
  // without the zip, nothing of the extension (and no PYTHONPATH) is added
  assert.ok(!buildServerLaunch(base).args.some((a) => a.includes("gyre_agent")));
  assert.equal(buildServerLaunch(base).env.PYTHONPATH, undefined);
});

test("runtime dirs and log files of any hub name: the socket path stays within 107 bytes, no name reaches a path as '..' or a hidden file", () => {
  for (const user of ["alice", "alice.smith", "1234", "binder-examples-requirements-1a2b3c4d5e", "x".repeat(255), "a.".repeat(127) + "a"]) {
    const prefix = runtimeDirPrefix(user);
    assert.match(prefix, /^gyre-rt-[A-Za-z0-9_.-]{1,20}-$/, user);
    // mkdtemp adds 6 characters; the socket is <dir>/jupyter.sock
    const socket = `/tmp/${prefix}XXXXXX/jupyter.sock`;
    assert.ok(Buffer.byteLength(socket) <= 58, `${socket.length}: ${socket}`);
    const log = buildLogFileName("/data/logs", user, "x".repeat(255), "abcdef0123456789");
    const file = log.slice("/data/logs/".length);
    assert.ok(!file.includes("/") && !file.startsWith(".") && Buffer.byteLength(file) <= 255, file);
  }
  assert.equal(runtimeDirPrefix("alice"), "gyre-rt-alice-");
});
