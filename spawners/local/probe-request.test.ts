import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttpServer, request } from "node:http";
import { createServer, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildProbeRequest, parseProbeStatus, parseProbeUrl } from "./probe-request";
import { probeHttp } from "./processes";

test("parseProbeUrl: unix sockets and TCP, refusing what node:http refuses", () => {
  assert.deepEqual(parseProbeUrl("http+unix://%2Ftmp%2Fgyre-x%2Fs.sock/user/a/api/status"), {
    socketPath: "/tmp/gyre-x/s.sock",
    path: "/user/a/api/status",
    host: "localhost",
  });
  assert.deepEqual(parseProbeUrl("http+unix://%2Ftmp%2Fs.sock"), { socketPath: "/tmp/s.sock", path: "/", host: "localhost" });
  assert.deepEqual(parseProbeUrl("http://127.0.0.1:8123/user/a/api?x=1"), {
    hostname: "127.0.0.1",
    port: 8123,
    path: "/user/a/api?x=1",
    host: "127.0.0.1:8123",
  });
  assert.deepEqual(parseProbeUrl("http://[::1]:9/"), { hostname: "::1", port: 9, path: "/", host: "[::1]:9" });
  assert.throws(() => parseProbeUrl("http+unix://%2Fs.sock/a b"), TypeError);
  assert.throws(() => parseProbeUrl("http+unix://%2Fs.sock/a\r\nX: y"), TypeError);
  assert.throws(() => parseProbeUrl("https://127.0.0.1:1/"), TypeError);
});

test("buildProbeRequest: one GET, the caller's headers, Host replaced only by theirs, Connection: close; no header can be injected", () => {
  const t = parseProbeUrl("http+unix://%2Fs.sock/user/a/api/status");
  assert.equal(
    buildProbeRequest(t, { authorization: "token abc" }),
    "GET /user/a/api/status HTTP/1.1\r\nHost: localhost\r\nauthorization: token abc\r\nConnection: close\r\n\r\n",
  );
  assert.equal(
    buildProbeRequest(t, { host: "hub.example.test", cookie: "a=b" }),
    "GET /user/a/api/status HTTP/1.1\r\nHost: hub.example.test\r\ncookie: a=b\r\nConnection: close\r\n\r\n",
  );
  assert.equal(
    buildProbeRequest(t, { connection: "keep-alive", "content-length": "5" }),
    "GET /user/a/api/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
  );
  assert.throws(() => buildProbeRequest(t, { authorization: "token abc\r\nX-Evil: 1" }), TypeError);
  assert.throws(() => buildProbeRequest(t, { authorization: "token abc\nGET / HTTP/1.1" }), TypeError);
  assert.throws(() => buildProbeRequest(t, { "x evil": "1" }), TypeError);
  assert.throws(() => buildProbeRequest(t, { "x:evil": "1" }), TypeError);
  assert.throws(() => buildProbeRequest(t, { host: "a\r\nb" }), TypeError);
});

test("parseProbeStatus: the status once the status line is complete, null for what is not HTTP/1.x", () => {
  assert.equal(parseProbeStatus("HTTP/1.1 200 OK\r\n"), 200);
  assert.equal(parseProbeStatus("HTTP/1.0 403 Forbidden\r\nContent-Length: 0\r\n\r\n"), 403);
  assert.equal(parseProbeStatus("HTTP/1.1 204\r\n"), 204);
  assert.equal(parseProbeStatus("HTTP/1.1 20"), undefined);
  assert.equal(parseProbeStatus(""), undefined);
  assert.equal(parseProbeStatus("SSH-2.0-OpenSSH_9.2\r\n"), null);
  assert.equal(parseProbeStatus("HTTP/1.1 2000 OK\r\n"), null);
  assert.equal(parseProbeStatus("HTTP/2 200\r\n"), null);
  assert.equal(parseProbeStatus("x".repeat(2000)), null);
});

/** A unix-socket server that records each connection's request bytes and answers with `answer(socket)`. */
async function rawServer(answer: (socket: Socket, request: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "gyre-probe-"));
  const path = join(dir, "s.sock");
  const requests: string[] = [];
  const server = createServer((socket) => {
    let got = "";
    socket.setEncoding("latin1");
    socket.on("data", (c: string) => {
      got += c;
      if (got.includes("\r\n\r\n")) {
        requests.push(got);
        answer(socket, got);
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    url: `http+unix://${encodeURIComponent(path)}`,
    requests,
    close: async () => {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test("probeHttp: one connection and one request per probe, the status of the answer", async () => {
  const srv = await rawServer((s, req) =>
    s.end(req.startsWith("GET /ok ") ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" : "HTTP/1.1 403 Forbidden\r\n\r\n"),
  );
  try {
    assert.equal(await probeHttp(`${srv.url}/ok`, { authorization: "token t" }), 200);
    assert.equal(await probeHttp(`${srv.url}/no`), 403);
    assert.equal(srv.requests.length, 2);
    assert.equal(srv.requests[0], "GET /ok HTTP/1.1\r\nHost: localhost\r\nauthorization: token t\r\nConnection: close\r\n\r\n");
    await assert.rejects(probeHttp(`${srv.url}/ok`, { authorization: "t\r\nX: 1" }), TypeError);
    assert.equal(srv.requests.length, 2, "a refused header sends nothing");
  } finally {
    await srv.close();
  }
});

test("probeHttp: null for a status line split and then not HTTP, a connection closed unanswered, no server, and a server that never answers", async () => {
  const split = await rawServer((s) => {
    s.write("HTTP/1.1 2");
    setTimeout(() => s.end("04 No Content\r\n\r\n"), 20);
  });
  const garbage = await rawServer((s) => s.end("hello\r\n"));
  const hangup = await rawServer((s) => s.destroy());
  const silent = await rawServer(() => {});
  try {
    assert.equal(await probeHttp(`${split.url}/`), 204);
    assert.equal(await probeHttp(`${garbage.url}/`), null);
    assert.equal(await probeHttp(`${hangup.url}/`), null);
    assert.equal(await probeHttp(`http+unix://${encodeURIComponent("/nonexistent/gyre.sock")}/`), null);
    assert.equal(await probeHttp(`${silent.url}/`, {}, 100), null);
  } finally {
    await Promise.all([split.close(), garbage.close(), hangup.close(), silent.close()]);
  }
});

test("probeHttp: a real HTTP server over TCP sees the same request node:http sends, headers included", async () => {
  const seen: { url?: string; headers: Record<string, unknown> }[] = [];
  const server = createHttpServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    res.writeHead(req.headers.authorization === "token t" ? 200 : 403).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    assert.equal(await probeHttp(`http://127.0.0.1:${port}/user/a/api/status`, { authorization: "token t" }), 200);
    assert.equal(await probeHttp(`http://127.0.0.1:${port}/user/a/api/status`), 403);
    // node:http's own request, for comparison of what the server sees
    await new Promise<void>((resolve) =>
      request(`http://127.0.0.1:${port}/user/a/api/status`, { agent: false, headers: { authorization: "token t" } }, (res) => {
        res.resume();
        res.on("end", resolve);
      }).end(),
    );
    assert.equal(seen.length, 3);
    assert.deepEqual(seen[0], seen[2]);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
