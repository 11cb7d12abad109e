#!/usr/bin/python3
"""The single-user server both hubs spawn in bench/hub-bench.ts: answers every path 200.

It takes the arguments of both hubs, so the hubs spawn the very same process:
  Gyre:       --ServerApp.sock=<path> (unix socket), or --ServerApp.ip=... --ServerApp.port=<n>;
              every other --X.y=z flag is ignored
  JupyterHub: no arguments (since 2.0); the address is in $JUPYTERHUB_SERVICE_URL
Exits quietly on SIGTERM (Gyre) and SIGINT (JupyterHub's LocalProcessSpawner).
A file "start-delay" beside it (seconds, written by the bench for BENCH_START_DELAY_S) makes it wait
that long before it listens, as a real Jupyter server takes 1-3 s to start: the hubs' readiness
probes run meanwhile.
"""
import http.server
import os
import signal
import socketserver
import sys
import time
import urllib.parse

BODY = b'{"version": "bench"}'


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(BODY)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(BODY)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

    def address_string(self):
        # a unix socket's client address is "" (BaseHTTPRequestHandler indexes it)
        return "client"

    def log_message(self, *args):
        pass


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TcpServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    ip, port, sock = "127.0.0.1", None, None
    for arg in sys.argv[1:]:
        if not arg.startswith("--") or "=" not in arg:
            continue
        key, value = arg[2:].split("=", 1)
        key = key.split(".")[-1]
        if key == "port":
            port = int(value)
        elif key == "sock":
            sock = value
        elif key == "ip":
            ip = value
    if port is None and sock is None:
        url = urllib.parse.urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", ""))
        ip, port = url.hostname or ip, url.port
    if port is None and sock is None:
        sys.exit("tiny-server: no --port, --sock or $JUPYTERHUB_SERVICE_URL")
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: os._exit(0))
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "start-delay")) as f:
            time.sleep(float(f.read()))
    except FileNotFoundError:
        pass
    if sock:
        if os.path.exists(sock):
            os.unlink(sock)
        server = UnixServer(sock, Handler)
        os.chmod(sock, 0o600)
    else:
        server = TcpServer((ip, port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
