"""Dashboards of the user's own processes, served by the user's own Jupyter server.

``<base_url>proxy/<port>/<path>`` (and ``proxy/absolute/<port>/...``, which keeps the prefix in
the upstream path: jupyter-server-proxy's scheme, so ``client.dashboard_link`` of Dask works) is
relayed to ``127.0.0.1:<port>`` on the host the server runs on — but only when the socket that
answers belongs to the server's own OS account. On a shared host (the local spawner's hub host, a
compute node running several users' jobs) any account can listen on any free port; without this
check, a link to *your* dashboard route could show *another* user's page on your origin, and its
scripts would act as you. The owner is read from ``/proc/net/tcp{,6}``: after connecting, the row
of the accepted socket (local = the dashboard's address, remote = our end) carries the uid of the
account that opened the listening socket. No row, or another uid: the connection is closed and
the request refused, before a single byte of the request is sent.

The relay is byte-level after the request head: HTTP responses stream through unchanged apart
from ``Connection: close`` (one request per upstream connection), and an upgrade (the Bokeh
dashboard's WebSocket) becomes a two-way pipe. The server's token (Authorization) is not passed
on; the proxy has already removed the hub's own cookies.

Settings come from the environment the spawner sets:
  GYRE_DASHBOARD_PORTS   "8787,9000-9010": ports that may be reached (default 8787)
"""

from __future__ import annotations

import os
import re
import socket
from typing import Callable, Iterable, Optional, Tuple

from tornado import web
from tornado.iostream import IOStream, StreamClosedError
from tornado.tcpclient import TCPClient

PORT_SPEC_ENV = "GYRE_DASHBOARD_PORTS"
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"}
_MAX_HEAD = 64 * 1024


def parse_port_spec(spec: str) -> Callable[[int], bool]:
    """"8787,9000-9010" -> predicate. Raises ValueError on a malformed item."""
    singles = set()
    ranges = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        m = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", item)
        if not m:
            raise ValueError("bad dashboard port item %r" % item)
        lo = int(m.group(1))
        hi = int(m.group(2) or lo)
        if not (1 <= lo <= hi <= 65535):
            raise ValueError("bad dashboard port range %r" % item)
        if lo == hi:
            singles.add(lo)
        else:
            ranges.append((lo, hi))
    return lambda port: port in singles or any(lo <= port <= hi for lo, hi in ranges)


def _decode_address(hex_addr: str) -> Tuple[str, int]:
    """'0100007F:1F90' -> ('127.0.0.1', 8080); IPv6 rows likewise (kernel byte order per 32-bit word)."""
    ip_hex, port_hex = hex_addr.split(":")
    port = int(port_hex, 16)
    raw = bytes.fromhex(ip_hex)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1]), port
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words), port


def _same_ip(a: str, b: str) -> bool:
    """Equal, also across the IPv4-mapped IPv6 form (::ffff:127.0.0.1)."""
    strip = lambda s: s[7:] if s.startswith("::ffff:") else s
    return strip(a) == strip(b)


def find_socket_uid(rows: Iterable[str], local: Tuple[str, int], remote: Tuple[str, int]) -> Optional[int]:
    """The uid of the socket whose local and remote ends are these, from /proc/net/tcp lines."""
    for line in rows:
        fields = line.split()
        if len(fields) < 8 or ":" not in fields[1]:
            continue
        try:
            l_ip, l_port = _decode_address(fields[1])
            r_ip, r_port = _decode_address(fields[2])
            uid = int(fields[7])
        except ValueError:
            continue
        if l_port == local[1] and r_port == remote[1] and _same_ip(l_ip, local[0]) and _same_ip(r_ip, remote[0]):
            return uid
    return None


def read_tcp_tables(proc: str = "/proc/net") -> list:
    rows = []
    for name in ("tcp", "tcp6"):
        try:
            with open(os.path.join(proc, name)) as f:
                rows.extend(f.readlines()[1:])
        except OSError:
            pass
    return rows


def peer_uid(sock: socket.socket) -> Optional[int]:
    """uid owning the other end of a connected loopback TCP socket (None: not found)."""
    ours = sock.getsockname()[:2]
    theirs = sock.getpeername()[:2]
    return find_socket_uid(read_tcp_tables(), local=theirs, remote=ours)


def build_request_head(method: str, path: str, headers: Iterable[Tuple[str, str]], upgrade: bool) -> bytes:
    """The head sent to the dashboard: hop-by-hop headers and the server token dropped (the proxy
    has already removed the hub's cookies; the dashboard's own cookies pass)."""
    lines = ["%s %s HTTP/1.1" % (method, path)]
    for name, value in headers:
        low = name.lower()
        if low in _HOP_BY_HOP or low in ("authorization", "content-length") or low.startswith("x-gyre-"):
            continue
        lines.append("%s: %s" % (name, value))
    if upgrade:
        lines.append("Connection: Upgrade")
        lines.append("Upgrade: websocket")
    else:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def rewrite_response_head(head: bytes) -> bytes:
    """Forces ``Connection: close`` on a response head (101 answers pass unchanged)."""
    text = head.decode("latin-1")
    status_line, _, rest = text.partition("\r\n")
    if re.match(r"HTTP/1\.[01] 101", status_line):
        return head
    kept = [l for l in rest.split("\r\n") if l and l.split(":", 1)[0].strip().lower() not in ("connection", "keep-alive")]
    return ("\r\n".join([status_line] + kept + ["Connection: close", "", ""])).encode("latin-1")


class DashboardHandler:
    """Mixed into Jupyter's authenticated base handler by ``make_handler_class`` below."""

    allowed_port: Callable[[int], bool] = staticmethod(lambda port: port == 8787)

    async def _relay(self, absolute: str, port_s: str, rest: str) -> None:
        port = int(port_s)
        if not (1 <= port <= 65535) or not self.allowed_port(port):
            raise web.HTTPError(404, "Port %d is not an allowed dashboard port (%s)." % (port, PORT_SPEC_ENV))
        if not rest:
            # relative links of the dashboard need the slash
            self.redirect(self.request.path + "/" + (("?" + self.request.query) if self.request.query else ""), permanent=True)
            return
        try:
            upstream = await TCPClient().connect("127.0.0.1", port)
        except (OSError, StreamClosedError):
            raise web.HTTPError(503, "Nothing listens on port %d on this host (is the dashboard running?)." % port)
        try:
            owner = peer_uid(upstream.socket)
        except OSError:
            owner = None
        if owner != os.getuid():
            upstream.close()
            self.log.warning("gyre dashboard: refused port %d, owned by uid %s", port, owner)
            raise web.HTTPError(403, "Port %d on this host belongs to another account: dashboards reach only your own processes." % port)
        upgrade = self.request.headers.get("Upgrade", "").lower() == "websocket"
        upstream_path = (self.request.path if absolute else rest) + (("?" + self.request.query) if self.request.query else "")
        if not absolute and not upstream_path.startswith("/"):
            upstream_path = "/" + upstream_path
        body = self.request.body or b""
        head = build_request_head(self.request.method, upstream_path, self.request.headers.get_all(), upgrade)
        if body:
            head += ("Content-Length: %d\r\n" % len(body)).encode()
        client = self.detach()
        try:
            await upstream.write(head + b"\r\n" + body)
            response_head = await upstream.read_until(b"\r\n\r\n", max_bytes=_MAX_HEAD)
            await client.write(rewrite_response_head(response_head))
        except (StreamClosedError, OSError):
            client.close()
            upstream.close()
            return
        await _pipe_both(client, upstream, two_way=upgrade)



async def _pipe(src: IOStream, dst: IOStream) -> None:
    try:
        while True:
            data = await src.read_bytes(65536, partial=True)
            await dst.write(data)
    except StreamClosedError:
        pass
    finally:
        dst.close()


async def _pipe_both(client: IOStream, upstream: IOStream, two_way: bool) -> None:
    if two_way:
        import asyncio

        await asyncio.gather(_pipe(client, upstream), _pipe(upstream, client))
    else:
        await _pipe(upstream, client)
        upstream.close()


def make_handler_class(base_handler, allowed_port: Callable[[int], bool]):
    """An authenticated handler class for this Jupyter flavour (jupyter_server or notebook 6)."""

    class GyreDashboardHandler(DashboardHandler, base_handler):
        pass

    async def guarded(self, absolute, port, rest):
        if not self.current_user:
            raise web.HTTPError(403, "Authentication required.")
        await self._relay(absolute, port, rest)

    for method in ("get", "post", "put", "patch", "delete", "head", "options"):
        setattr(GyreDashboardHandler, method, guarded)
    GyreDashboardHandler.allowed_port = staticmethod(allowed_port)
    return GyreDashboardHandler


def route_pattern(base_url: str) -> str:
    return base_url.rstrip("/") + r"/proxy/(absolute/)?(\d{1,5})(/.*)?"
