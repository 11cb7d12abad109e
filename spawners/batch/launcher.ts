// The Python program every batch job runs (fed to the interpreter on stdin from a quoted heredoc,
// so nothing in it is expanded by bash). It closes the check-then-bind race of picking a free port
// and then starting the server on it (two jobs on one node picked the same port): it BINDS a port first (in GYRE_PORT_RANGE, or an ephemeral one), hands
// that very socket to jupyter_server (ServerApp._bind_http_server_tcp, jupyter_server 1.x/2.x), and
// only after the server has started calls the hub back with host and port.
//
// Environment it reads: GYRE_SECRET_FILE (a 0600 file in the user's home holding JUPYTER_TOKEN,
// JUPYTERHUB_API_TOKEN and GYRE_CALLBACK_SECRET: secrets never go through the scheduler, whose `qstat -j` (SGE env_list) and
// `qstat -f` (PBS Variable_List) show job environments to every user), GYRE_CALLBACK_URL,
// GYRE_SPAWN_ID, GYRE_JOB_ID, GYRE_PORT_RANGE ("7050-7099" or ""), GYRE_BIND_IP ("" = the node's
// address). The file is deleted once the hub accepted the callback. When the job script defines
// _GYRE_AGENT_ZIP (base64 of spawners/agent's zip, put before this program in the same heredoc),
// Gyre's Jupyter server extension is loaded from it (the dashboard relay under
// <base_url>proxy/<port>/, which reaches only sockets of the job's own account on the node); the
// zip is written to a private temporary file and deleted once the extensions are loaded.
// GYRE_SERVER_APP=singleuser (spawner.batch.command: jupyterhub-singleuser) runs JupyterHub's
// SingleUserNotebookApp (jupyterhub.singleuser, of the same Python) instead of jupyter_server's
// ServerApp, with the same bound socket and callback: the server then logs its users in through
// the hub's OAuth provider and reports its activity itself (Gyre's extension adds the busy rule).
// For a launch, GYRE_LAUNCH_RESULT
// names the agent's prepared result (written by the job's prepare step just before): the server
// then serves the launch's folder, with the launch's environment first on JUPYTER_PATH.

/** Terminator of the heredoc that carries LAUNCHER_PY; must not occur as a line in it. */
export const LAUNCHER_EOF = "GYRE_LAUNCHER_EOF";

/** Terminator of the heredoc that carries a launch's agent (base64 and Python: never this line). */
export const AGENT_EOF = "GYRE_AGENT_EOF";

export const LAUNCHER_PY = String.raw`import atexit, base64, json, os, random, socket, sys, tempfile, threading, time, urllib.error, urllib.request
from jupyter_server.serverapp import ServerApp


def log(*a):
    print("[gyre-launcher]", *a, file=sys.stderr, flush=True)


def bind():
    ip = os.environ.get("GYRE_BIND_IP") or socket.gethostbyname(socket.gethostname())
    rng = os.environ.get("GYRE_PORT_RANGE", "")
    if rng:
        lo, hi = (int(x) for x in rng.split("-"))
        ports = list(range(lo, hi + 1))
        random.shuffle(ports)
    else:
        ports = [0]
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((ip, port))
        except OSError:
            s.close()
            continue
        s.listen(128)
        s.setblocking(False)
        host = ip if ip not in ("0.0.0.0", "") else socket.gethostbyname(socket.gethostname())
        return s, ip, host, s.getsockname()[1]
    log("no free port in", rng or "ephemeral range")
    sys.exit(75)


def read_secrets(path):
    values = {}
    if path:
        with open(path) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                values[k] = v
    return values


SECRET_FILE = os.environ.pop("GYRE_SECRET_FILE", "")
SECRETS = read_secrets(SECRET_FILE)
if SECRETS.get("JUPYTER_TOKEN"):
    os.environ["JUPYTER_TOKEN"] = SECRETS["JUPYTER_TOKEN"]
if SECRETS.get("JUPYTERHUB_API_TOKEN"):
    # the server's hub API token under JupyterHub's name and the older one jupyterhub-singleuser reads
    os.environ["JUPYTERHUB_API_TOKEN"] = os.environ["JPY_API_TOKEN"] = SECRETS["JUPYTERHUB_API_TOKEN"]
SECRET = SECRETS.get("GYRE_CALLBACK_SECRET", "")
CALLBACK_URL = os.environ.pop("GYRE_CALLBACK_URL", "")


def launch_args(path):
    """--ServerApp.root_dir of a prepared launch; its JUPYTER_PATH goes first (kernels of its environment)."""
    if not path:
        return []
    with open(path) as f:
        prepared = json.load(f)
    first = prepared.get("serverEnv", {}).get("JUPYTER_PATH")
    if first:
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = first + (os.pathsep + old if old else "")
    log("launch prepared in", prepared["dir"])
    # kernels started without a path run in the launch's folder, as in BinderHub
    os.chdir(prepared["dir"])
    return ["--ServerApp.root_dir=" + prepared["dir"]]


def gyre_extension():
    """(zip path, server args) of Gyre's extension when the job script carries the agent's zip."""
    b64 = globals().get("_GYRE_AGENT_ZIP")
    if not b64:
        return "", []
    fd, path = tempfile.mkstemp(prefix="gyre-agent-", suffix=".zip")
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64decode(b64))
    atexit.register(forget, path)
    sys.path.insert(0, path)
    return path, ["--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True"]


def forget(path):
    try:
        os.unlink(path)
    except OSError:
        pass


LAUNCH_ARGS = launch_args(os.environ.pop("GYRE_LAUNCH_RESULT", ""))
AGENT_ZIP, EXTENSION_ARGS = gyre_extension()
SOCK, IP, HOST, PORT = bind()


def report():
    body = json.dumps({"spawn_id": os.environ.get("GYRE_SPAWN_ID", ""), "job_id": os.environ.get("GYRE_JOB_ID", ""),
                       "host": HOST, "port": PORT}).encode()
    for attempt in range(8):
        try:
            req = urllib.request.Request(CALLBACK_URL, data=body, method="POST",
                                         headers={"Authorization": "token " + SECRET, "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                log("reported", HOST, PORT, "->", r.status)
            if SECRET_FILE:
                try:
                    os.unlink(SECRET_FILE)
                except OSError:
                    pass
            return
        except urllib.error.HTTPError as e:
            log("callback refused:", e.code)
            if e.code in (400, 401, 403, 404, 409, 410):
                os._exit(3)  # the hub does not want this server (stale or cancelled spawn): free the node
        except Exception as e:  # network trouble: retry
            log("callback failed:", type(e).__name__, e)
        time.sleep(min(2 ** attempt, 15))
    log("giving up on the callback")
    os._exit(3)


def server_app_class():
    """jupyter_server's ServerApp, or jupyterhub-singleuser's app built on it (GYRE_SERVER_APP=singleuser)."""
    if os.environ.pop("GYRE_SERVER_APP", "") != "singleuser":
        return ServerApp
    from jupyterhub.singleuser import SingleUserNotebookApp
    return SingleUserNotebookApp


BaseApp = server_app_class()


class GyreServerApp(BaseApp):
    def _bind_http_server_tcp(self):
        # serve on the socket bound above instead of probing ports (no check-then-bind race)
        self.http_server.add_sockets([SOCK])
        self.port = PORT
        return True

    def start_app(self):
        super().start_app()
        # extensions are loaded (imported) by now: the zip is no longer needed
        if AGENT_ZIP:
            forget(AGENT_ZIP)
        threading.Thread(target=report, daemon=True).start()


if __name__ == "__main__":
    # a launch's folder replaces the job's root_dir (traitlets refuses a trait given twice)
    ARGS = [a for a in sys.argv[1:] if not (LAUNCH_ARGS and a.startswith("--ServerApp.root_dir="))]
    GyreServerApp.launch_instance(argv=ARGS + LAUNCH_ARGS + EXTENSION_ARGS + ["--ServerApp.ip=" + IP, "--ServerApp.port=%d" % PORT, "--ServerApp.port_retries=0"])
`;
